"""Technician work-order text -> major systems, components, actions and failure modes, by keyword rules.

Recurring-failure counts need a label per work order, and real exports rarely carry one: the NIST excavator orders
say "L/H BUCKET CYL LEAKING." and nothing else. The text is first normalised with the shared shorthand dictionary
(`index.normalize.expand_shorthand`: "CYL" -> "cylinder", "C/O" -> "change out"), then matched against the rules
below. A work order may touch several systems ("bucket cylinder" is both Bucket and Hydraulic Cylinders), as in the
reference labelling of Hodkiewicz & Ho (2016). The major systems follow that taxonomy (mobile mining equipment,
ISO 14224 style); lubrication, electrics, cab and lights are components, not major systems. Fixed plant (pumps,
compressors, conveyors) maps to its own systems (Seal, Bearings, Drive motor, ...). Pure functions, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from index.normalize import expand_shorthand


def _rules(table: dict[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(rf"\b(?:{pattern})", re.IGNORECASE)) for name, pattern in table.items())


# Major systems. Patterns are matched on the normalised text; order only sets the tie-break in reports.
SYSTEMS = _rules({
    "Hydraulic System": r"hydraulic(?!\s+cylinder)|hoses?\b|slew|swing\s+(?:motor|pump|brake)|main\s+pump|"
                        r"(?:oil|hyd)\s+cooler|control\s+valve|relief\s+valve|valve\s+block|pilot\s+(?:line|pressure)|"
                        r"(?:oil\s+)?leak(?:s|ing|age)?\s+(?:on|at|from|in)\s+(?:boom|stick|slew)|boom\s+oil|"
                        r"oil\s+leak|leaking\s+oil|reseal|case\s+drain|swivel|accumulator",
    "Bucket": r"(?<!mcc )bucket|tooth|teeth|\blip\b(?!\s+seal)|adaptor|adapter|shroud|wear\s+(?:plate|package|strip)|"
              r"clam\b|heel\s+shroud|tips?\b",
    "Engine": r"engine|\bstart(?:s|ing|er)?\b|jump\s*start|won'?t\s+start|alternator|fuel\s+(?:pump|filter|injector)|"
              r"injector|cylinder\s+head|crank|fan\s+belt|engine\s+oil|oil\s+(?:change|filter)|dipstick|"
              r"(?:no|low|lacking)\s+power|governor|\bhp\b|\brpm\b",
    "Hydraulic Cylinders": r"cylinder|\bram\b|gland|\brod\b",
    "Superstructure": r"hand\s*rail|undercarriage|car\s*body|carbody|\bdeck\b|stair|walkway|counter\s*weight|"
                      r"superstructure|\bchassis\b|\bframe\b|access\s+(?:ladder|stair|way)",
    "Final Drive": r"final\s+drive|travel\s+motor|walking",
    "Induction and Exhaust": r"exhaust|muffler|manifold|air\s*cleaner|air\s+filter|intake|induction|pre\s*cleaner",
    "Radiator": r"radiator|overheat|over\s+heat|coolant|header\s+tank|water\s+pump|running\s+hot|\bcooling\s+fan",
    "Turbochargers": r"turbo",
    "Transmission": r"transmission|(?<!slew )gear\s*box|torque\s+converter|transfer\s+case",
    "Driveshaft": r"drive\s*shaft|universal\s+joint|tail\s*shaft",
    # fixed plant
    "Seal": r"\bseal(?!s?\s+kit)|mechanical\s+seal|packing|gland\s+leak",
    "Bearings": r"bearing",
    "Drive motor": r"\bmotor\b(?!\s+grader)|vfd|winding|insulation",
    "Pump casing and impeller": r"impeller|volute|casing|wear\s+ring|strainer",
    "Belt and conveyor": r"(?<!fan )\bbelt\b|conveyor|pulley",
    "Instrumentation": r"sensor|transmitter|gauge|thermocouple|\brtd\b|pressure\s+switch|level\s+switch",
})

# Components: the parts a work order names. Several may match; reports show the most frequent.
COMPONENTS = _rules({
    "hose": r"hoses?\b", "seal": r"seals?\b|reseal|o\s*ring", "filter": r"filters?\b|strainer", "bearing": r"bearings?",
    "bucket tooth": r"tooth|teeth|\btips?\b", "bucket lip and adaptor": r"\blip\b|adaptor|adapter|shroud",
    "cylinder": r"cylinder|\bram\b", "pump": r"\bpump", "valve": r"valve", "motor": r"\bmotor",
    "grease and lube system": r"grease|lubricat|\blube\b|auto\s*lube", "pin and bush": r"\bpins?\b|bush",
    "electrics": r"electric|wiring|wire|cable|fuse|relay|battery|batteries|switch|sensor", "lights": r"lights?\b|lamp",
    "cab": r"\bcab\b|cabin|seat|door|window|wiper|glass|radio", "air conditioning": r"air\s+condition|a/c|aircon",
    "fuel system": r"\bfuel", "track and rollers": r"track|roller|idler|sprocket", "belt": r"\bbelt",
    "radiator": r"radiator", "turbocharger": r"turbo", "exhaust": r"exhaust|muffler", "brake": r"brake",
    "ladder and handrail": r"ladder|hand\s*rail|stair|step", "coupling": r"coupling", "impeller": r"impeller",
    "gearbox": r"gear\s*box|gearbox", "engine": r"engine", "tank": r"\btank", "pipe and line": r"\bpipes?\b|\blines?\b",
    "fire suppression": r"fire", "boom": r"\bboom", "stick": r"\bstick\b", "clamp and mount": r"clamp|mount|bolt",
})

ACTIONS = _rules({
    "replace": r"replac|change\s*out|changeout|\bswap|\bfit\b|fitted|install|renew|new\b|remove\s+and\s+replace",
    "repair": r"repair|\bfix|weld|rectify|reseal|rebuild|overhaul",
    "inspect": r"inspect|check|investigat|\btest|assess|diagnos|monitor",
    "adjust": r"adjust|tension|align|calibrat|set\b|reset",
    "clean": r"clean|flush|wash|blow\s+out|clear",
    "lubricate": r"lubricat|grease|top\s+up|oil\s+sample|refill",
    "tighten": r"tighten|torque|re-?torque|secure",
})

FAILURE_MODES = _rules({
    "leak": r"leak|lkg|weep|seep|bypass",
    "broken or cracked": r"broke|crack|snapped|split|torn|bent|damage",
    "blown": r"blown|burst|ruptur",
    "worn": r"\bworn|wear\b|wearing",
    "missing or lost": r"missing|\blost\b|fell\s+off|fallen",
    "loose": r"loose",
    "not working": r"not\s+working|\bu/s\b|unserviceable|fault|faulty|inoperative|won'?t|doesn'?t|not\s+\w+ing|"
                   r"fail|dead|stopp?ed|no\s+\w+",
    "overheating": r"overheat|over\s+heat|hot\b|overtemperature|high\s+temp",
    "noise or vibration": r"nois|vibrat|rattl|squeal|knock|scream|gravel",
    "blocked": r"block|clog|plug|restrict|contaminat",
    "low pressure or level": r"low\s+(?:pressure|level|oil|flow)",
})


@dataclass(frozen=True)
class Tags:
    """What a work order's text is about."""

    systems: tuple[str, ...]
    components: tuple[str, ...]
    actions: tuple[str, ...]
    failure_modes: tuple[str, ...]


def _matches(rules: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in rules if pattern.search(text))


@lru_cache(maxsize=65536)
def tag_text(text: str) -> Tags:
    """The systems, components, actions and failure modes a work-order text names ("" -> nothing)."""
    plain = expand_shorthand(text.replace("_", " "))
    systems = _matches(SYSTEMS, plain)
    # "bucket cylinder" is Bucket + Hydraulic Cylinders; "hydraulic cylinder" is not also Hydraulic System
    return Tags(systems, _matches(COMPONENTS, plain), _matches(ACTIONS, plain), _matches(FAILURE_MODES, plain))
