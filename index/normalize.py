"""Technician shorthand -> plain words, and the tokenizer used by keyword search.

Work orders say "REPL NDE BRG, C/O FILTER, LKG @ SEAL"; manuals say "replace the non-drive-end bearing". Keyword
search only matches them after both sides are normalised the same way. Pure functions, no model.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

# Multi-character shorthand that contains punctuation, matched before tokenising.
PHRASES: dict[str, str] = {
    "c/o": "change out", "u/s": "unserviceable", "o/s": "outstanding", "r&r": "remove and replace",
    "r/r": "remove and replace", "w/o": "without", "w/": "with", "a/c": "air conditioner", "o/h": "overhaul",
    "s/d": "shutdown", "b/d": "breakdown", "p/m": "preventive maintenance", "l/h": "left hand", "r/h": "right hand",
    "n/a": "not applicable", "@": " at ", "&": " and ", "hi-vib": "high vibration", "lo-flow": "low flow",
    "c/out": "change out", "a/con": "air conditioner", "w/shop": "workshop", "p/brake": "park brake",
    "n/w": "not working", "out/stding": "outstanding", "t/c": "torque converter", "r/h/s": "right hand side",
    "l/h/s": "left hand side", "u/j": "universal joint", "g/box": "gearbox", "v/v": "valve", "#": " number ",
    "+": " and ",
}

# Single-token abbreviations (lower case). Kept to unambiguous ones seen in CMMS exports.
WORDS: dict[str, str] = {
    "repl": "replace", "rplc": "replace", "replc": "replace", "rep": "replace", "rpr": "repair", "chg": "change",
    "chng": "change", "insp": "inspection", "chk": "check", "ck": "check", "adj": "adjust", "lub": "lubricate",
    "lube": "lubricate", "instl": "install", "inst": "install", "rem": "remove", "rmv": "remove", "serv": "service",
    "calib": "calibrate", "cal": "calibrate", "tst": "test", "fab": "fabricate",
    "brg": "bearing", "brgs": "bearings", "bearin": "bearing", "mtr": "motor", "mot": "motor", "pmp": "pump",
    "comp": "compressor", "cmpr": "compressor", "gbx": "gearbox", "g/box": "gearbox", "hyd": "hydraulic",
    "hydr": "hydraulic", "elec": "electrical", "mech": "mechanical", "vlv": "valve", "v/v": "valve",
    "flt": "filter", "fltr": "filter", "filt": "filter", "cplg": "coupling", "cpl": "coupling", "shft": "shaft",
    "imp": "impeller", "brkr": "breaker", "xfmr": "transformer", "vfd": "vfd", "temp": "temperature",
    "tmp": "temperature", "press": "pressure", "pres": "pressure", "psr": "pressure", "vib": "vibration",
    "vibs": "vibration", "lkg": "leaking", "lk": "leak", "lks": "leaks", "leakin": "leaking", "ovhl": "overhaul",
    "hi": "high", "lo": "low", "lvl": "level", "eng": "engine", "trans": "transmission", "diff": "differential",
    "assy": "assembly", "asm": "assembly", "qty": "quantity", "pos": "position", "posn": "position",
    "de": "drive end", "nde": "non drive end", "ob": "outboard", "ib": "inboard", "dmgd": "damaged",
    "dmg": "damage", "brk": "broken", "brkn": "broken", "cond": "condenser", "evap": "evaporator",
    "htr": "heater", "exch": "exchanger", "hx": "heat exchanger", "fw": "feedwater", "stm": "steam",
    "blr": "boiler", "conv": "conveyor", "cnvr": "conveyor", "blt": "belt", "spdl": "spindle",
    "coolnt": "coolant", "u/j": "universal joint", "amp": "current", "amps": "current", "ot": "overtemperature",
    "oc": "overcurrent", "gf": "ground fault", "mtce": "maintenance", "maint": "maintenance",
    "pm": "preventive maintenance",
    "wo": "work order", "em": "emergency", "req": "required", "reqd": "required",
    "excess": "excessive", "exc": "excessive",
    "noisey": "noisy", "nois": "noise", "op": "operator", "ops": "operations", "sw": "switch", "sol": "solenoid",
    "cyl": "cylinder", "acc": "accumulator", "accum": "accumulator", "rad": "radiator", "pwr": "power",
    "ctrl": "control", "cntrl": "control", "sensr": "sensor", "snsr": "sensor", "xmtr": "transmitter",
    "tx": "transmitter", "alrm": "alarm", "trp": "trip", "fdn": "foundation", "algn": "align", "align": "align",
    "alignmt": "alignment", "misalign": "misalignment", "cav": "cavitation", "cavit": "cavitating",
}

# Query-side expansions: how technicians ask vs how manuals state it ("what torque" is answered by "tighten to
# 35 N·m"; "megger" by "insulation resistance"). Applied to keyword queries only, never to indexed text.
QUERY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "torque": ("tighten",), "megger": ("insulation", "resistance", "megohmmeter"),
    "meggered": ("insulation", "resistance", "megohmmeter"), "litres": ("l",), "liters": ("l",),
    "capacity": ("l", "quantity"), "amps": ("current",), "grade": ("iso", "vg"), "clearance": ("gap",),
    "interval": ("every", "hours"), "often": ("every", "interval"), "setpoint": ("alarm", "trip"),
    "trips": ("trip", "shutdown"), "leaking": ("leak", "leakage"), "noisy": ("noise",), "hot": ("temperature",),
    "shakes": ("vibration",), "shaking": ("vibration",), "screaming": ("noise", "cavitation"),
}

STOPWORDS = frozenset(
    "a an the and or of to in on at for by with is are was were be been it its this that these those from as "
    "into if then than so do does did what which who how when where why can could should would i we you my our "
    "there their any all some no not".split()
)

_STEMMER = snowballstemmer.stemmer("english")
TOKEN_RE = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


def normalize_token(token: str) -> str:
    """One raw token in plain lower-case words ("REPL" -> "replace", "C/O" -> "change out", "Hyd." -> "hydraulic")."""
    lowered = token.lower()
    if lowered in PHRASES:
        return PHRASES[lowered].strip()
    core = lowered.rstrip(".,;:")
    return WORDS.get(core, lowered)


def expand_shorthand(text: str) -> str:
    """Rewrite shorthand into plain lower-case words ("REPL BRG @ NDE" -> "replace bearing at non drive end")."""
    lowered = text.lower()
    for short, full in PHRASES.items():
        lowered = lowered.replace(short, f" {full} ")
    out = []
    for token in re.findall(r"[a-z0-9][a-z0-9/.\-]*|\S", lowered):
        core = token.rstrip(".,;:")
        out.append(WORDS.get(core, core) + token[len(core):])
    text = re.sub(r"\s+", " ", " ".join(out)).strip()
    return re.sub(r"\s+([,;:.!?])", r"\1", text)


# Parts named by an -ing word that stemming would turn into another, commoner word: "firing order" is not about a
# fire, a "timing belt" not about time, a "casing" not "in case of", "brake lining" not a fuel line. They keep their
# own form (plural folded into the singular); every other -ing word still meets its verb ("replacing" -> "replac").
ING_NOUNS = frozenset(
    "bearing bushing casing coupling facing fairing firing fitting flashing grating housing landing lagging lining "
    "packing rigging timing winding".split())


# "in order to" says nothing about an order: a firing order, a work order or an order of steps.
_IN_ORDER_TO = re.compile(r"\bin order (?=to\b|for\b|that\b)")


@lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    """Snowball (Porter 2) stem, so 'replaced' and 'replacing' meet 'replace', except ING_NOUNS ('bearings' ->
    'bearing')."""
    if token[0].isdigit() or "-" in token:
        return token
    if token in ING_NOUNS or token.endswith("s") and token[:-1] in ING_NOUNS:
        return token.removesuffix("s")
    return str(_STEMMER.stemWord(token))


def tokenize_query(text: str) -> list[str]:
    """Keyword tokens of a question: `tokenize` plus the technician-to-manual synonyms of QUERY_SYNONYMS."""
    tokens = tokenize(text)
    extra = [_stem(w) for word in expand_shorthand(text).split() for w in QUERY_SYNONYMS.get(word.strip(".,;:?!"), ())]
    present = set(tokens)  # a set: a list test made a long question quadratic (30k words: minutes)
    return tokens + [t for t in extra if t not in present]


def tokenize(text: str) -> list[str]:
    """Keyword-search tokens: shorthand expanded, lower case, stop words dropped, lightly stemmed.

    Codes and ids stay whole and are also split ("p-101" -> "p-101", "p", "101") so "P101" and "P-101" both match.
    """
    tokens: list[str] = []
    for token in TOKEN_RE.findall(_IN_ORDER_TO.sub("in ", expand_shorthand(text))):
        if token in STOPWORDS:
            continue
        tokens.append(_stem(token))
        if "-" in token or "." in token:
            compact = re.sub(r"[-.]", "", token)
            tokens.append(compact)
    return tokens
