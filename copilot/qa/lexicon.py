"""The QA lexicon: every word list and pattern the answer routes read questions and documents with, in one place.

Each rule here was written against some document or question that read differently from the last, and a new set of
documents is calibrated by reading the rules side by side with its text: which slot a question's phrasing lands in,
whether a manual's "Caution -" is a safety notice, whether a work order's "C/O" counts as a change. So the modules
hold the logic and this module holds what they recognise, grouped by what is recognised; the numbers they decide
with are in `copilot/qa/thresholds.py`, and the technician shorthand ("BRG", "C/O") and query synonyms shared with
keyword search are in `index/normalize.py`. Data only: compiled patterns, word sets and the answer slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.normalize import tokenize

# -- what a question names: assets, fault codes, dates (query.py, counting.py) ---------------------------------------

ASSET_RE = re.compile(r"\b([A-Za-z]{1,3})-?(\d{3})\b")
CODE_RE = re.compile(r"\b([A-Z]{1,2})(\d{3,4})\b")
YEAR_RE = re.compile(r"\b(20\d\d)\b")
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
DAY_MONTH_YEAR_RE = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(20\d\d)\b")
ISO_DATE_RE = re.compile(r"\b(20\d\d-\d{2}-\d{2})\b")
# Month names and the years, ISO dates and day numbers around them, taken out of a count question's topic phrase.
MONTH_WORDS = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b", re.IGNORECASE)
DATE_NUMBER_RE = re.compile(r"\b(19|20)\d\d(-\d\d){0,2}\b|\b\d{1,2}\b")

# -- what a question is about: past work, the newest record, alarm events, a code's meaning (query.py) ---------------

PERIOD = r"(?!\s+(few|couple|\d+|week|month|day|hour|shift|night|year|summer|winter)s?\b)"  # "over the last few weeks"
HISTORY_RE = re.compile(
    rf"\b(last{PERIOD}|latest|previous|recent(ly)?|when (was|were|did)|how many (times|jobs|work orders|orders|changes|"
    r"failures|trips|repairs|emergenc\w*|pms?)|who|history|ago|did we|have we|we (swapped|replaced|changed|found|"
    r"fitted|used|did)|went in|worked|downtime|cost|jobs?|work orders?|wo|why did|what (was|were) (done|found|"
    r"replaced|fitted)|(was|were) done)\b",
    re.IGNORECASE,
)
EVENT_RE = re.compile(r"\b(alarm(ed)?|reading|value|tripped|trip|ack(nowledged)?|what time|came in|event|log)\b",
                      re.IGNORECASE)
# What was done about a fault, why it happened, who did it, what went in: the work order holds that, not the alarm
# line, even when the question names the trip ("why did B-801 trip on low water?").
WORK_RE = re.compile(r"\b(why|who|done about|(was|were) (done|found|replaced|fitted)|part numbers?|parts? (used|went)|"
                     r"went in|fixed|repaired|cause)\b", re.IGNORECASE)
MEANING_RE = re.compile(r"\b(mean(s|ing)?|what is( it)?|what's( it| that)?|stand for|showing|came up|on the panel)\b",
                        re.IGNORECASE)
RECENCY_RE = re.compile(rf"\b(last{PERIOD}|latest|most recent|recent(ly)?|previous)\b", re.IGNORECASE)
# A follow-up leans on the previous question ("and what torque for that?").
FOLLOW_UP_RE = re.compile(r"\b(it|its|that|this|those|these|them|there|same|the one|and)\b", re.IGNORECASE)

# -- what value a question asks for: the answer slots (answerability.py) ---------------------------------------------

# A number followed by a unit (no letter glued in front: "P-101" is not 101 of anything).
NUM = r"(?<![A-Za-z\-])\d+(?:[.,]\d+)?\s*"


@dataclass(frozen=True)
class Slot:
    """A kind of value a question can request: how a question asks for it, and what a line needs to supply it."""

    name: str
    ask: re.Pattern[str]
    fill: re.Pattern[str] | None  # None: no surface form (a procedure, a cause); key terms alone decide
    words: frozenset[str]  # stemmed tokens that phrase the request, not the thing asked about


def _slot(name: str, ask: str, fill: str | None, words: str) -> Slot:
    return Slot(name, re.compile(ask, re.IGNORECASE), re.compile(fill) if fill else None,
                frozenset(t for w in words.split() for t in tokenize(w)))


PART_NUMBER = r"\b(?=[A-Z0-9/-]*\d)(?=[A-Z0-9/-]*[A-Z])[A-Z0-9]{2,}(?:[-/][A-Z0-9]+)+\b"

# Order matters: the first slot whose `ask` matches the question is the one requested.
SLOTS: tuple[Slot, ...] = (
    _slot("po_number", r"\b(po|purchase order) (number|no)", r"\bPO\s*[-#:]?\s*\d{3,}", "po purchase order number"),
    _slot("part_number", r"\bpart (number|no\b|#)|\bp/?n\b|\bwhich .{0,40}\bfits\b|\bpart\b.{0,30}\bfits?\b",
          PART_NUMBER, "part number no fits fit which"),
    _slot("register", r"\b(modbus|register|address)\b", r"\b(register|address)\s*\d+|\b[34]\d{4}\b",
          "modbus register address holds hold"),
    _slot("parameter", r"\b(which|what) parameter\b|\bparameter (sets|for|number)\b",
          r"\b[A-Z]\d{1,2}\.\d{2}\b|\b[a-z]+_[a-z_]+\b|\b[A-Z]{2,}_[A-Z_]+\b", "parameter sets set"),
    # Asking how to calibrate, measure, check or set a quantity asks for the method, whatever the quantity: "how do I
    # calibrate the probe offset" is answered by the calibration steps, since the offset is what they find, and "how
    # do I set the probe z offset" by the command that stores it (a value is asked with "what", "how far").
    _slot("procedure", r"\bhow (do|to|should|can|would)( (i|we|you))? (calibrate|measure|check|adjust|find|determine"
          r"|level|align|tune|test|verify|set|change|configure|enable|disable|save|store|apply|reset|clear)\b",
          None, "procedure steps"),
    _slot("torque", r"\btorque|\bhow tight\b",
          r"N·m|N m\b|\bNm\b|N\.m|\blbf?[ .·-]?ft\b|\bft[ .·-]?lbf?\b|\bin[ .·-]?lb", "torque tight tighten get gets"),
    _slot("flow_rate", r"\b(flow|flush|feed)\s*rate\b|\bl/min\b|\bm³/h\b|\bgpm\b|\bhow much flow\b",
          NUM + r"(l/min|L/min|l/h|L/h|m³/h|m3/h|gpm|l/s|L/s)", "flow rate l min m3 h gpm need needs"),
    _slot("conductivity", r"\bconductivity\b", r"µS|uS/cm|mS/cm|\bS/m\b|\bcycles\b", "conductivity"),
    _slot("concentration", r"\bppm\b", r"\bppm\b", "ppm"),
    _slot("frequency", r"\bfrequency\b|\bwhat hz\b", r"\bHz\b|\bCPM\b|\b\d(\.\d+)?\s*[x×]\b", "frequency hz"),
    _slot("resistance", r"\bresistance\b.{0,40}\b(read|be|what|value)|\b(what|which)\b.{0,40}\bresistance\b",
          r"Ω|\bohms?\b|megohm", "resistance read reading value"),
    _slot("current", r"\b(what|which|how many)\b.{0,40}\b(current|amps?)\b(?!.{0,20}\b(drop|rise|hunt|fall|low|high))"
          r"|\blocked.rotor current\b", NUM + r"A\b", "current amps amp"),
    _slot("voltage", r"\b(what|which)\b.{0,20}\bvoltage\b", NUM + r"(V|kV)\b", "voltage"),
    _slot("weight", r"\bweigh|\bmax(imum)? .{0,20}\bweight\b|\bhow heavy\b", NUM + r"(kg|t|lb|lbs)\b",
          "weight weigh heavy max maximum take"),
    _slot("pressure", r"\b(what|which|how much|how high|how low)\b.{0,40}\bpressure\b"
          r"|\bpressure\b.{0,25}\b(should|set|setting|limit|be)\b",
          r"\b(bar|mbar|psi|psig|kPa|MPa|Pa|inHg)\b", "pressure use set setting limit"),
    _slot("temperature", r"\b(what|which) (cure )?temp|\bhow hot\b|\btemperature (limit|setpoint)|\bcure temperature"
          r"|\bat what temperature", r"°C|°F|\bdegC\b|\bdeg\b|\b\d+\s*K\b|\bC\b", "temperature hot cure"),
    _slot("capacity", r"\bhow much (oil|grease|fluid|coolant|refrigerant|water)|\bhow many (litres|liters|grams|kg)"
          r"|\bcapacity\b", NUM + r"(L|l|litres?|liters?|ml|g|kg|gal)\b",
          "much many litres liters grams kg capacity"),
    _slot("interval", r"\bhow often\b|\b(what|which)\b.{0,30}\binterval|\binterval (for|between|of)\b|\bevery how\b"
          r"|\bhow many hours\b|\bhow long (before|between)\b|\b(when|how often) is .{0,30}\bdue\b",
          r"\b(h|hours?|months?|weeks?|days?|years?|yearly|monthly|weekly|daily|annual(ly)?|shifts?)\b",
          "often interval every many hours due"),
    _slot("distance", r"\b(clearance|runout|end ?play|gap|offset|how far|spacing|spaced|apart|distance)\b",
          NUM + r"(mm|µm|m|in|inch|ft)\b|\bTIR\b", "far apart spacing spaced distance"),
    _slot("procedure", r"\bhow (do|to|should|can|would) (i|we|you)\b|\bprocedure\b|\bwhat are the steps\b"
          r"|\bhow is .{0,40}\b(done|set|adjusted|replaced)\b"
          r"|\bhow to [a-z]|\bsteps? (to|for)\b|\bsteps\?|\bwalk me through\b", None, "procedure steps step walk"),
)

# Words that phrase a request in any question, whatever it asks for. They say nothing about the thing asked about.
REQUEST_WORDS = frozenset(t for w in (
    "what whats which how much many get gets got go goes going need needs use used put make makes take takes "
    "should must tell me know want give show showing value spec specification allowed ok okay right correct "
    "normal just anyway please look see does do done there here one thing "
    # function words a technician's phrasing adds ("about 60 hours", "but only with", "back together")
    "about after before but only still up down out over under back again also then now ever every each other "
    "have has had having am may might will shall been being instead like same time times last first next "
    # how a technician asks for a verdict on what they saw ("is that a problem", "can we keep running", "is the
    # pump finished", "what am I missing"): the manual answers with the limit or the check, never these words
    "problem problems fine finished keep missing miss wrong worry bad good enough read reads reading")
    .split() for t in tokenize(w))

# A number the technician reports ("iron at 62 ppm", "7.4 mm/s", "12k rpm") is a reading to compare with a limit:
# the manual states the limit, not the reading, so a number the index never contains is not a key term.
READING = re.compile(r"\d+(?:[.,]\d+)?k?")

# -- count questions over the work orders (counting.py) --------------------------------------------------------------

HOW_MANY_RE = re.compile(r"\bhow many\b(?:\s+(\w+))?", re.IGNORECASE)
# What a work order counts as: the nouns that name jobs and the verbs that name the work done.
RECORD_WORDS = re.compile(
    r"\b(times?|jobs?|work ?orders?|wos?|orders?|changes?|changed|change ?outs?|replacements?|replaced|replace|"
    r"swaps?|swapped|repairs?|repaired|breakdowns?|failures?|failed|call-?outs?|pms?|inspections?|services?|"
    r"serviced|emergenc(y|ies)|corrective|preventive|did|we|do|have|had|there|were|was|been|done|in|on|for|the|"
    r"a|an|of|during|this|that|year|month|total|all|so|far|many|how|h)\b", re.IGNORECASE)
JOB_TYPES = (("EM", re.compile(r"\bemergenc(y|ies)\b|\bEM\b", re.IGNORECASE)),
             ("CM", re.compile(r"\b(breakdowns?|corrective|CM)\b", re.IGNORECASE)),
             ("PM", re.compile(r"\b(PMs?|preventive|planned maintenance)\b")),
             ("INSP", re.compile(r"\b(inspections?|INSP)\b", re.IGNORECASE)))
# Nouns that make "how many" a count of jobs, and quantities that make it a question about the manual.
COUNTED_RE = re.compile(r"\b(jobs?|times|work ?orders?|wos|changes|change-?outs|replacements|repairs|breakdowns|"
                        r"failures|call-?outs?|pms|inspections|services|emergenc(y|ies))\b", re.IGNORECASE)
QUANTITY_RE = re.compile(r"(litres?|liters?|l|hours?|hrs?|h|minutes?|mins?|seconds?|bar|kg|grams?|g|mm|bolts?|"
                         r"turns?|rpm|kw|amps?|volts?|degrees?|teeth|pieces?|strokes?|days?|weeks?|months?|years?)",
                         re.IGNORECASE)
# "how many times did we replace / change / swap ...": a record counts only when it records such work, not when an
# inspection merely mentions the part ("seal ok").
REPLACING_RE = re.compile(r"\b(replac\w*|chang\w*|swap\w*|c/o|r&r|renew\w*|fit(ted)?|install\w*)\b", re.IGNORECASE)
REPLACED_STEMS = frozenset({"replac", "chang", "swap", "renew", "fit", "fitted", "instal", "new", "remov"})

# -- how a document is laid out: safety notices, tables, numbered steps, sentences (extractive.py, procedure.py) ------

# A safety notice: the signal word followed by a colon or "!" ("> **WARNING:** ...", "Caution: ..."), or in capitals
# alone on its line with the notice below it. Prose that merely uses the word ("Warning Systems", "warning indicator",
# "use with caution as ...") is not one.
WARNING_RE = re.compile(
    r"^\s*>?\s*(?:⚠\s*)?\**\s*(?:(?i:(danger|warning|caution))\s*\**\s*[:!]|(DANGER|WARNING|CAUTION)\s*\**\s*$)"
    r"\s*\**\s*(.*)$"
)
LOTO_RE = re.compile(r"\b(lockout|lock out|tag ?out|LOTO|isolate|isolation)\b", re.IGNORECASE)
# -- documents are data: text addressed to the model, and a safety step said to be unneeded (injection.py, safety.py) --

# A line that speaks as a chat role ("SYSTEM: ...", "[INST]", "<|im_start|>system", "### Instruction:"): never a
# maintenance document's own words. The whole line goes.
ROLE_MARKER_RE = re.compile(
    r"^\s*(?:[>#*\-]\s*)*(?:\*\*)?(?:system|assistant|user|developer)\s*(?:prompt)?\s*(?:\*\*)?\s*:(?!:)|"
    r"<\|?(?:im_start|im_end|system|assistant|user|endoftext)\|?>|\[/?INST\]|<</?SYS>>|"
    r"^\s*#+\s*(?:instruction|system prompt|new instructions)s?\b", re.IGNORECASE | re.MULTILINE)
# A sentence that gives the reader-model orders: "ignore (all) previous instructions", "you are now ...", "answer
# that ...", "do not mention ...". Manuals address the technician ("Do not open the casing"), never "the assistant".
INSTRUCTION_RE = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions?|prompts?|rules|guidelines|"
    r"context|above)\b|\byou are now\b|\b(?:as an? |you are an? )(?:ai|language model|assistant|chatbot)\b|"
    r"(?:^|[.!?:]\s+)(?:answer|reply|respond|tell the user)\s+(?:only\s+)?(?:that|with|yes|no)\b|"
    r"\b(?:the |this )(?:assistant|ai|chatbot|language model)\s+(?:must|should|will)\b|"
    r"\bdo not (?:mention|reveal|cite)\b|"
    r"\bnew instructions?\b", re.IGNORECASE | re.MULTILINE)
# A safety step (LOTO_RE's words and the other guards a manual puts first) said to be unneeded or skippable:
# "lockout is not required", "no lockout needed", "can be opened while the motor is running", "without isolating".
SAFETY_STEP = (r"(?:lock(?:ing|ed)?[- ]?out|lockout|tag[- ]?out|loto|isolat\w*|drain\w*|depressuri[sz]\w*|vent\w*|"
               r"permit|ppe|guard|earth\w*|ground\w*|purg\w*|bleed\w*|relie(?:f|ve)\w*)")
SAFETY_TOPIC_RE = re.compile(rf"\b{SAFETY_STEP}\b|\bsafe(?:ly|ty)?\b|\bdanger\w*\b|\bwhile (?:it'?s |the \w+ is )?"
                             r"running\b|\blive\b|\benergi[sz]ed\b", re.IGNORECASE)
NEGATED_SAFETY_RE = re.compile(
    rf"\b(?:without|skip\w*|never need\w*)\s+(?:\w+\s+){{0,2}}{SAFETY_STEP}\b|"
    rf"\bno\s+(?:\w+\s+){{0,2}}{SAFETY_STEP}\s+(?:is\s+)?(?:needed|required|necessary)\b|"
    rf"\b{SAFETY_STEP}\b[^.!?\n]{{0,40}}\b(?:is|are)?\s*(?:not|no longer|never)\s+(?:required|needed|necessary)\b|"
    r"\b(?:can|may)\s+(?:safely\s+)?be\s+(?:opened|removed|serviced|worked on)\s+while\b[^.!?\n]{0,30}\b"
    r"(?:running|energi[sz]ed|live|under pressure)\b", re.IGNORECASE)
# A table's rule line ("|---|:--:|"), which is no row.
TABLE_RULE_RE = re.compile(r"[\s|:\-]+")
# Where a passage line splits into candidate sentences, and the list number in front of a numbered line ("3. ").
LINE_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")
LIST_NUMBER_RE = re.compile(r"^\d+\.\s+")
# A numbered step: "3. Fit the setting clips ..." or "3) Fit ...", at the start of a line.
STEP_RE = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.*)$")
# A bullet under a step ("   - check the O-ring"): part of that step, never dropped.
BULLET_RE = re.compile(r"^\s*[-*•]\s+(\S.*)$")

# -- what a model reply claims: citation marks, sentences, numbers, polarity (citations.py) -------------------------

CITATION_RE = re.compile(r"\s*\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
CITATION_SEP_RE = re.compile(r"\s*[,;]\s*")  # between the numbers of one mark ("[1, 3]")
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
# A number as a claim: not part of an identifier such as CP-80, P-101, E105 or M12.
NUMBER_RE = re.compile(r"(?<![\w.\-/])(\d+(?:[.,]\d+)*)(?![\w\-])")
ENUMERATOR_RE = re.compile(r"^\W*\d{1,2}[.)]?\W*$")
# A passage's sentences and rows, as a citation quotes them, and as a reply's clause may copy them (a ";" ends one).
QUOTE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+")
STATED_SPLIT_RE = re.compile(r"(?<=[.!?;])\s+|\n+")
# A reply sentence's clauses, each checked for polarity against the passage sentence it copies, and their words.
CLAUSE_RE = re.compile(r";\s*|(?<=[.!?])\s+")
CLAIM_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words that flip a claim: a near copy of a passage sentence that swaps one for its opposite says the opposite.
OPPOSITES: tuple[frozenset[str], ...] = tuple(frozenset(g.split()) for g in (
    "yes no", "on off", "true false", "enable enabled disable disabled", "open opened close closed",
    "increase increases decrease decreases", "above below", "higher lower", "before after", "minimum maximum min max",
    "clockwise anticlockwise counterclockwise", "left right", "upper lower", "inlet outlet", "suction discharge",
))
NEGATIONS = frozenset("not never cannot can't don't doesn't isn't mustn't shouldn't won't".split())
# Words between a negation and the word it negates ("not to be", "never have").
AUXILIARIES = frozenset("be been being to the a an ever have has yet".split())

# -- symptoms: a technician describing what the machine does, in their own words (troubleshoot.py) ----------------
# What a symptom sounds like: noises, movement, leaks, heat, trips, failures to start or act, readings off.
SYMPTOM_RE = re.compile(
    r"\b(scream\w*|squeal\w*|squeak\w*|whin\w*|howl\w*|grind\w*|rattl\w*|knock\w*|bang\w*|chatter\w*|crackl\w*|"
    r"nois\w*|loud|vibrat\w*|shak\w*|shudder\w*|wobbl\w*|bounc\w*|hunt\w*|surg\w*|swing\w*|fluctuat\w*|erratic|"
    r"jump\w*|unstable|leak\w*|weep\w*|drip\w*|seep\w*|spray\w*|smok\w*|smell\w*|overheat\w*|runs? hot|hot|"
    r"too warm|cook\w*|trip\w*|shut\w* (itself )?down|cuts? out|stall\w*|slow\w*|sluggish|stuck|jam\w*|seiz\w*|"
    r"slip\w*|won'?t|wont|will not|doesn'?t|does not|can'?t|cannot|fail\w*|no (flow|delivery|pressure|start|heat|"
    r"output|power|air|display|response)|low (flow|pressure|power|output|oil|level)|high (temp\w*|pressure|"
    r"vibration|current|amps)|not (starting|running|working|heating|cooling|turning|pumping|moving|holding)|"
    r"dead|blank|glitch\w*|garbage|artifacts?|flicker\w*|intermittent\w*|keeps?|again|rough|misfir\w*|backfir\w*|"
    r"alarm\w*|fault\w*|problem|issue|wrong|overload\w*|popping|shredd\w*|fray\w*|metal|drops?|dropping|losing|"
    r"lost|can'?t hold|nothing|zero|barely|squish\w*|swollen|soggy|fouled|dirty|wear\w*|worn|smok\w*|"
    r"lock(s|ed)? out|dropped|falling|rising|creep\w*|climb\w*|sag\w*|noisy|rough|melt\w*|burnt|"
    r"(pressure|temp\w*|current|amps|vibration|level|flow|speed) (is |too |very |way )?(high|low|up|down)|"
    r"(reads?|reading|running|runs) (high|low|hot|rough)|worse|hotter|warmer|louder|weaker|killing|kills?)\b",
    re.IGNORECASE)
# How a symptom question asks: what to check, what is wrong, why it does that.
SYMPTOM_ASK_RE = re.compile(
    r"\b(what (do|should|would|can|could|did|must) (i|we|you)\b|what to (check|look|do)|where (do|should) (i|we) "
    r"(start|look)|what could (be|cause)|what (might|may) (be|cause)|what'?s (wrong|causing|going on|up)|what is "
    r"(wrong|causing|going on)|what causes|cause[sd]? (of|this|that|it)|likely cause|why\b|how come|what now|"
    r"what else|what gives|what went wrong|what does (that|this|it) mean|coming from|what keeps|"
    r"what'?s (leaking|failing)|how (do|can|should) (i|we) (fix|stop|cure)|"
    r"diagnos\w*|troubleshoot\w*|(any )?(ideas|thoughts)\b|help)", re.IGNORECASE)
# A question after a value or a limit, though it names a symptom ("it's dripping - how much leakage is ok?").
VALUE_ASK_RE = re.compile(r"\b(how (much|many|long|often|far|tight)|is (that|it|this) (ok|okay|normal|acceptable|"
                          r"within)|what (\w+ )?(limit|grade|setting|setpoint|pressure should|should it (be|have)))\b",
                          re.IGNORECASE)
# A clause naming recent work on the machine ("after a seal change", "since the filter was replaced").
RECENT_WORK_RE = re.compile(r"\b(?:after|since|following|ever since)\b\s+(.{3,60}?)(?=[,.;?!]|\band\b|$)",
                            re.IGNORECASE)
# Technician symptom words -> the words troubleshooting tables use (query side only; index/normalize.py has the
# shorthand both sides share). Checked against the corpus tables and the Marlin and FAA troubleshooting pages.
SYMPTOM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "screaming": ("noise", "cavitation"), "screeching": ("noise",), "squealing": ("noise", "squeal", "slip"),
    "squeaking": ("noise",), "whining": ("noise",), "howling": ("noise",), "grinding": ("noise", "bearing"),
    "rattling": ("noise", "loose"), "knocking": ("noise", "knock"), "banging": ("noise", "hammer"),
    "chattering": ("noise", "chatter"), "gravel": ("crackling", "noise", "cavitation"), "loud": ("noise",),
    "noisy": ("noise",), "shaking": ("vibration",), "shakes": ("vibration",), "shuddering": ("vibration",),
    "wobbling": ("vibration", "runout"), "vibrating": ("vibration",), "bouncing": ("erratic", "fluctuating"),
    "hunting": ("erratic", "fluctuating", "hunting"), "swinging": ("erratic", "fluctuating"),
    "jumping": ("erratic", "fluctuating"), "surging": ("erratic", "surge"), "unstable": ("erratic", "fluctuating"),
    "weeping": ("leak",), "dripping": ("leak",), "seeping": ("leak",), "spraying": ("leak",), "leaking": ("leak",),
    "puddle": ("leak",), "overheating": ("high", "temperature", "hot"), "hot": ("high", "temperature"),
    "warm": ("high", "temperature"), "cooking": ("high", "temperature"), "tripping": ("trip", "alarm"),
    "trips": ("trip", "alarm"), "keeps": ("repeated",), "dies": ("stops", "trip"), "quits": ("stops", "trip"),
    "won't": ("fails", "not"), "wont": ("fails", "not"), "catch": ("start",), "fire": ("start", "ignition"),
    "crank": ("start", "turn"), "smoking": ("smoke",), "stinks": ("smell",), "sluggish": ("slow",),
    "jammed": ("stuck", "jam"), "seized": ("stuck", "seized"), "slipping": ("slip",), "blank": ("display", "no"),
}
# What a symptom says a quantity is doing (copilot/qa/readings.py): "airend temperature high", "oil temp is right
# where it always is", "tension checks out fine", "charge is full". Up / down need a verb of change before them
# ("went up", "way down"): alone they are mostly motion ("creeps down", "starts up").
STATE_WORDS: dict[str, re.Pattern[str]] = {
    "high": re.compile(r"\b(too |very |way |reads? |reading |running |runs? )?(high(er)?|hot(ter)?|warm(er)?|"
                       r"ris(e|es|ing)|rose|climb(s|ing)?|increas\w*|above|excessive|elevated|overheat\w*|spik\w*|"
                       r"(went|gone|going|goes|go|way|creep\w*|shot) up)\b", re.IGNORECASE),
    "low": re.compile(r"\b(too |very |way |reads? |reading |running |runs? )?(low(er)?|fall(s|ing|en)?|fell|dropp\w*|"
                      r"drops?|below|sag(s|ging)?|weak(er)?|decreas\w*|slid(es|ing)?|reduced|barely any|hardly any|"
                      r"(went|gone|going|goes|go|way) down)\b", re.IGNORECASE),
    "normal": re.compile(r"\b(normal|correct|in spec|within (spec|limits?|range)|as usual|unchanged|"
                         r"(right )?where it (always|normally|usually) (is|sits)|checks? out|looks? right|"
                         r"(fine|full|good|ok(ay)?)\W*$)", re.IGNORECASE),  # "fine cracks", "full power": not a reading
}
# A clause that negates its reading ("not making full power", "doesn't look right") says no state.
READING_NEGATION_RE = re.compile(r"\b(not|never|no|n't|won'?t|fails? to)\b|n't\b", re.IGNORECASE)
# Words of a reading that name no quantity ("oil temp *looks totally* normal").
READING_FILLER = frozenset("look read seem keep run sit get check just realli total complet alway right still bit "
                           "littl pretti quit bit now again usual ever sinc both togeth has have had".split())
# Where one reading ends and the next begins: punctuation and the words that join two observations.
READING_SPLIT_RE = re.compile(r"([,;.!?()]|\b(?:but|and|or|with|although|though|while|whereas|yet|so)\b)",
                              re.IGNORECASE)
# Joins whose left side, when it says no state, shares the right side's ("oil and airend temperatures rising").
READING_JOIN = frozenset({"and", "or"})
