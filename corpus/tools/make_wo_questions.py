"""Write the evaluation questions about work orders and alarms (ids wo-01 .. wo-34).

Why this exists
---------------
The copilot must answer floor questions from the maintenance history ("when was the seal on P-101 last
replaced?") and must say so when the history does not hold the answer. Hand-writing such questions against a
generated CSV would go stale every time ``generate_logs.py`` changes, so this script derives them from the
generated files: it picks the gold row or log line by rule (e.g. "last time" = the latest row for that asset
and failure mode), takes an exact quote from it, and the keywords a correct answer must mention. It also
checks that the unanswerable questions are truly unanswerable from these files.

    python corpus/tools/make_wo_questions.py [--corpus corpus] [--out /tmp/corpus_parts/qa_workorders.jsonl]

Deterministic: the same inputs give byte-identical output. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RowPred = Callable[[dict[str, str]], bool]

WO_FILE = "work_orders.csv"
ALARM_FILE = "alarms.log"

# diagnostic words a correct answer about a cause / repair should contain (first one found is used)
VOCAB = [
    "lagging",
    "take-up",
    "scraper",
    "started loaded",
    "strainer",
    "suction vlv",
    "suction valve",
    "rags",
    "vortex",
    "fins",
    "fan",
    "filter mat",
    "25 hz",
    "spalled",
    "fluting",
    "grease",
    "over-greased",
    "thermostatic",
    "louvre",
    "cooler",
    "drain plug",
    "idlers",
    "idler",
    "coupling",
    "build-up",
    "feed pump",
    "contactor",
    "moisture",
    "interturn",
    "cable",
    "scaled",
    "biofilm",
    "schrader",
    "flare",
    "soft foot",
    "disc spring",
    "pull stud",
    "collet",
    "taper",
    "stroke",
    "holder",
    "balance",
    "balanced",
    "rewound",
    "dried",
    "insulated",
    "positioner",
    "packing",
    "scale",
    "economiser",
    "sooted",
    "o-ring",
    "hose",
    "shaft seal",
    "relief valve",
    "compensator",
    "inlet valve",
    "minimum pressure valve",
    "separator",
    "scavenge",
    "wear ring",
    "impeller",
    "check valve",
    "gate valve",
    "seal faces",
    "water in oil",
    "oiler",
    "lip seal",
    "chiller",
    "oil-air",
    "condenser",
    "tension",
]


@dataclass
class Row:
    """One work-order row with its raw CSV line."""

    f: dict[str, str]
    raw: str


def load_rows(path: Path) -> tuple[list[Row], str]:
    """Rows of work_orders.csv (each with its raw line) and the whole file text."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    header = next(csv.reader([lines[0]]))
    rows = [Row(dict(zip(header, next(csv.reader([ln])), strict=True)), ln) for ln in lines[1:] if ln]
    return rows, text


def term(text: str) -> str:
    """The first vocabulary term occurring in a text (by position)."""
    low = text.lower()
    hits = [(low.find(v), -len(v), v) for v in VOCAB if v in low]
    if not hits:
        raise ValueError(f"no vocabulary term in: {text}")
    return sorted(hits)[0][2]


class QA:
    """Builds the question list with quotes checked against the source files."""

    def __init__(
        self, rows: list[Row], wo_text: str, alarm_lines: list[str], alarm_text: str, seed: int
    ) -> None:
        self.rows = rows
        self.wo_text = wo_text
        self.alarm_lines = alarm_lines
        self.alarm_text = alarm_text
        self.rng = random.Random(seed)
        self.items: list[dict] = []

    # ---- helpers ------------------------------------------------------------------------------
    def say(self, *variants: str) -> str:
        """Pick one phrasing."""
        return self.rng.choice(list(variants))

    def sel(
        self,
        asset: str,
        mode: str | None = None,
        wo_type: str | None = None,
        year: int | None = None,
        pred: RowPred | None = None,
    ) -> list[Row]:
        """Rows of an asset filtered by mode / type / year / predicate, in file (time) order."""
        out = []
        for r in self.rows:
            f = r.f
            if f["asset"] != asset:
                continue
            if mode is not None and f["failure_mode"] != mode:
                continue
            if wo_type is not None and f["wo_type"] != wo_type:
                continue
            if year is not None and not f["opened"].startswith(str(year)):
                continue
            if pred is not None and not pred(f):
                continue
            out.append(r)
        return out

    def last(self, rows: list[Row]) -> Row:
        """Latest row (by closing time)."""
        if not rows:
            raise ValueError("no rows")
        return max(rows, key=lambda r: (r.f["closed"], r.f["wo_id"]))

    def quote_for(self, row: Row, field: str = "action") -> str:
        """A quote from one field of the row (so it survives any per-row rendering of the CSV).

        The field itself is used when it is 20-160 characters; the action and then the problem text are the
        fall-backs. Quotes that are unique in the whole file are preferred; the gold section (the wo_id)
        pins the row in any case.
        """
        cands = [row.f[field], row.f["action"], row.f["problem"], row.f["cause"]]
        ok = [c for c in cands if 20 <= len(c) <= 160 and '"' not in c]
        assert ok, row.raw
        unique = [c for c in ok if self.wo_text.count(c) == 1]
        if field in ("cause", "problem") and ok[0] == row.f[field]:
            return ok[0]  # the quote must hold the answer
        return unique[0] if unique else ok[0]

    def tail_quote(self, row: Row) -> str:
        """Quote for answers held in short fields (downtime, cost, technician): the row's action text."""
        return self.quote_for(row, "action")

    def gold_wo(self, row: Row, quote: str) -> dict:
        """Gold entry for a work-order row."""
        assert quote in row.raw and 20 <= len(quote) <= 160, quote
        return {"source": WO_FILE, "page": None, "section": row.f["wo_id"], "quote": quote}

    def gold_alarm(self, line: str) -> dict:
        """Gold entry for an alarm-log line (the whole line is the quote)."""
        assert 20 <= len(line) <= 160 and self.alarm_text.count(line) == 1, line
        return {"source": ALARM_FILE, "page": None, "section": None, "quote": line}

    def add(self, question: str, gold: list[dict], keywords: list[str]) -> None:
        """Append an answerable question."""
        assert gold and 1 <= len(keywords) <= 4, question
        self.items.append({"question": question, "answerable": True, "gold": gold, "keywords": keywords})

    def add_unanswerable(self, question: str, must_be_absent: list[str]) -> None:
        """Append an unanswerable question after checking that the telling strings are absent."""
        for s in must_be_absent:
            assert s not in self.wo_text and s not in self.alarm_text, (question, s)
        self.items.append({"question": question, "answerable": False, "gold": [], "keywords": []})

    def alarm_match(self, pattern: str) -> list[str]:
        """Alarm lines matching a regular expression."""
        rx = re.compile(pattern)
        return [ln for ln in self.alarm_lines if rx.search(ln)]

    # ---- questions ----------------------------------------------------------------------------
    def build(self) -> list[dict]:
        """All 34 questions, answerable first, then the unanswerable ones."""
        self.q_last_date(
            "P-101",
            "seal_leak",
            (
                "when was the seal on P-101 last replaced?",
                "P-101 mech seal - when did we last change it?",
                "last time we swapped the mech seal on P-101?",
            ),
        )
        self.q_count_parts(
            "C-202",
            2024,
            lambda f: "oil filter" in f["action"].lower(),
            (
                "how many times did C-202 get a new oil filter in 2024?",
                "C-202 oil filter changes in 2024 - how many?",
            ),
        )
        self.q_cause(
            "CV-601",
            "belt_slip",
            (
                "what did we find last time CV-601 belt was slipping?",
                "CV-601 slipping again - what was it last time?",
            ),
        )
        self.q_parts(
            "M-302",
            "bearing_wear",
            "BRG",
            (
                "what part number did we use on M-302 bearings last time?",
                "M-302 brg job - which bearing part numbers went in?",
            ),
        )
        self.q_action(
            "P-102",
            "cavitation",
            ("P-102 cavitating again, what did we do last time?", "how was the last P-102 cavitation fixed?"),
        )
        self.q_downtime(
            "P-103",
            "bearing_wear",
            (
                "how long was P-103 down for the last bearing job?",
                "downtime on the last P-103 brg replacement?",
            ),
        )
        self.q_tech(
            "S-401",
            "drawbar_fault",
            ("who fixed the drawbar on S-401 last time?", "S-401 tool unclamp issue - who worked it last?"),
        )
        self.q_cost(
            "CH-701",
            "condenser_fouling",
            (
                "what did the last condenser tube cleaning on CH-701 cost?",
                "CH-701 cond fouling job last time - cost?",
            ),
        )
        self.q_cause(
            "B-801",
            "low_water",
            ("why did B-801 trip on low water?", "B-801 low water lockout - root cause?"),
        )
        self.q_cause(
            "M-301",
            "overheating",
            (
                "M-301 running hot - what was the cause last time?",
                "what did we find the last time M-301 overheated?",
            ),
        )
        self.q_last_date(
            "C-201",
            None,
            ("when was the last 4000 h service on C-201?", "C-201 PM 4000H last done when?"),
            pred=lambda f: "4000H" in f["problem"].upper(),
        )
        self.q_count_parts(
            "H-501",
            2024,
            lambda f: "BFT-RF160-10" in f["parts"],
            (
                "how many return filter elements did H-501 go through in 2024?",
                "H-501 return filter changes 2024, how many?",
            ),
        )
        self.q_count_type(
            "P-103", "EM", ("how many emergency jobs on P-103 in {y}?", "P-103 EM work orders in {y}?")
        )
        self.q_wo_id(
            "B-801",
            "stuck_valve",
            2025,
            6,
            (
                "which WO covered the stuck FW valve on B-801 in June 2025?",
                "WO number for the B-801 feedwater valve job, June 2025?",
            ),
        )
        self.q_alarm_value(
            "C-201",
            "E201",
            "2025-02-27",
            (
                "what airend temp did C-201 alarm at on 2025-02-27?",
                "C-201 E201 on 27 Feb 2025 - what was the reading?",
            ),
        )
        self.q_alarm_value(
            "H-501",
            "E502",
            "2025-05-07",
            (
                "what was the first E502 reading on H-501 on 2025-05-07?",
                "H-501 return filter dp when the first E502 came in on 7 May 2025?",
            ),
            first=True,
        )
        self.q_alarm_ack(
            "B-801",
            "E801",
            "2025-06-17",
            (
                "who acked the low water alarm on B-801 on 2025-06-17?",
                "B-801 E801 on 17 June 2025 - who acknowledged it?",
            ),
        )
        self.q_pullcord(
            "CV-601",
            ("what time did CV-601 stop on pull-cord on {d}?", "CV-601 E606 on {d} - what time was that?"),
        )
        self.q_first_alarm(
            "M-302",
            "E305",
            "2025-04",
            (
                "when did M-302 first alarm on high vib in April 2025?",
                "first E305 on M-302 in Apr 2025 - what date?",
            ),
        )
        self.q_action(
            "S-402",
            "imbalance",
            (
                "S-402 vib at high speed again - what was done last time?",
                "last S-402 imbalance job, what did we do?",
            ),
        )
        self.q_cost(
            "CV-602",
            "overheating",
            (
                "what did the last CV-602 gearbox overtemp job cost?",
                "cost of the last CV-602 gbx oil temp repair?",
            ),
        )
        self.q_litres(
            "H-501",
            "seal_leak",
            (
                "how much oil did we top up on H-501 after the last leak?",
                "H-501 leak last time - how many litres went back in?",
            ),
        )
        self.q_vib_after(
            "P-101",
            "bearing_wear",
            (
                "what was the vib on P-101 after the last bearing job?",
                "P-101 brg replacement - vib reading after?",
            ),
        )
        self.q_sep(
            "C-202",
            (
                "when did C-202 last get a new separator element outside the 8000 h service?",
                "C-202 separator failure - when was it replaced?",
            ),
        )
        self.q_action(
            "M-301",
            "insulation_breakdown",
            (
                "what was done about the M-301 ground fault trip?",
                "M-301 E304 ground fault - how was it fixed?",
            ),
        )
        self.q_cause(
            "CV-601",
            "misalignment",
            (
                "what was behind the last CV-601 misalignment / gbx vib?",
                "CV-601 high gearbox vib last time - cause?",
            ),
        )
        n_answerable = len(self.items)
        assert n_answerable == 26, n_answerable
        # ---- unanswerable ----
        self.add_unanswerable("when was the seal on P-109 last replaced?", ["P-109"])
        self.add_unanswerable("CV-603 belt slipping - what did we find last time?", ["CV-603"])
        self.add_unanswerable("did we change the mech seal on P-102 back in 2019?", ["2019-"])
        self.add_unanswerable("what did C-201 airend temp read when it alarmed in Aug 2021?", ["2021-"])
        m302 = [r.raw for r in self.rows if r.f["asset"] == "M-302"]
        assert not any("hz" in x.lower() or "spectrum" in x.lower() or "bpfo" in x.lower() for x in m302)
        self.add_unanswerable(
            "M-302 brg - what frequency was the vib peak at before the last bearing change?", []
        )
        s402 = [r.raw for r in self.rows if r.f["asset"] == "S-402"]
        assert not any("ppm" in x for x in s402)
        self.add_unanswerable("what iron ppm did the S-402 spindle oil analysis show last year?", [])
        self.add_unanswerable("what PO number was the C-202 separator element bought on?", ["PO "])
        self.add_unanswerable("what was the flow on P-103 on 2025-08-14?", ["2025-08-", "2025-07-"])
        assert len(self.items) == 34
        for i, it in enumerate(self.items, 1):
            it["id"] = f"wo-{i:02d}"
        return [
            {
                "id": it["id"],
                "question": it["question"],
                "answerable": it["answerable"],
                "gold": it["gold"],
                "keywords": it["keywords"],
            }
            for it in self.items
        ]

    def q_last_date(
        self, asset: str, mode: str | None, phr: tuple[str, ...], pred: RowPred | None = None
    ) -> None:
        """'When was X last done' -> closing date of the latest matching row."""
        r = self.last(self.sel(asset, mode, pred=pred))
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r))], [r.f["closed"][:10]])

    def q_count_parts(self, asset: str, year: int, pred: RowPred, phr: tuple[str, ...]) -> None:
        """'How many times in year' -> count; every counted row is gold."""
        rs = self.sel(asset, year=year, pred=pred)
        assert 1 <= len(rs) <= 12, len(rs)
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r)) for r in rs], [str(len(rs))])

    def q_count_type(self, asset: str, wo_type: str, phr: tuple[str, ...]) -> None:
        """Count of work orders of a type in the year that has the most of them."""
        years = {y: len(self.sel(asset, wo_type=wo_type, year=y)) for y in (2022, 2023, 2024)}
        y = max(years, key=lambda k: (years[k], k))
        rs = self.sel(asset, wo_type=wo_type, year=y)
        assert rs
        self.add(self.say(*phr).format(y=y), [self.gold_wo(r, self.quote_for(r)) for r in rs], [str(len(rs))])

    def q_cause(self, asset: str, mode: str, phr: tuple[str, ...]) -> None:
        """Cause found on the latest row of a failure mode."""
        r = self.last(self.sel(asset, mode))
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r, "cause"))], [term(r.f["cause"])])

    def q_action(self, asset: str, mode: str, phr: tuple[str, ...]) -> None:
        """Repair done on the latest row of a failure mode."""
        r = self.last(self.sel(asset, mode))
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r, "action"))], [term(r.f["action"])])

    def q_parts(self, asset: str, mode: str, marker: str, phr: tuple[str, ...]) -> None:
        """Part numbers (containing marker) fitted on the latest row of a failure mode."""
        r = self.last(self.sel(asset, mode))
        parts = [p for p in r.f["parts"].split(";") if marker in p]
        assert parts and all(p in r.f["action"] for p in parts)
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r, "action"))], parts[:3])

    def q_downtime(self, asset: str, mode: str, phr: tuple[str, ...]) -> None:
        """Downtime of the latest row of a failure mode."""
        r = self.last(self.sel(asset, mode))
        self.add(self.say(*phr), [self.gold_wo(r, self.tail_quote(r))], [r.f["downtime_h"]])

    def q_tech(self, asset: str, mode: str, phr: tuple[str, ...]) -> None:
        """Technician of the latest row of a failure mode."""
        r = self.last(self.sel(asset, mode))
        self.add(self.say(*phr), [self.gold_wo(r, self.tail_quote(r))], [r.f["technician"]])

    def q_cost(self, asset: str, mode: str, phr: tuple[str, ...]) -> None:
        """Cost of the latest row of a failure mode."""
        r = self.last(self.sel(asset, mode))
        self.add(self.say(*phr), [self.gold_wo(r, self.tail_quote(r))], [r.f["cost_usd"]])

    def q_wo_id(self, asset: str, mode: str, year: int, month: int, phr: tuple[str, ...]) -> None:
        """Work order id of the only row of a mode in a month."""
        ym = f"{year}-{month:02d}"
        rs = self.sel(asset, mode, pred=lambda f: f["opened"].startswith(ym))
        assert len(rs) == 1, rs
        r = rs[0]
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r))], [r.f["wo_id"]])

    def q_litres(self, asset: str, mode: str, phr: tuple[str, ...]) -> None:
        """Litres of oil topped up on the latest leak repair."""
        r = self.last(self.sel(asset, mode))
        m = re.search(r"(\d+) L", r.f["action"])
        assert m, r.f["action"]
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r, "action"))], [m.group(1)])

    def q_vib_after(self, asset: str, mode: str, phr: tuple[str, ...]) -> None:
        """Vibration reading recorded after the latest repair."""
        rs = [r for r in self.sel(asset, mode) if re.search(r"vib(?: after)? (\d+\.\d+)", r.f["action"])]
        r = self.last(rs)
        m = re.search(r"vib(?: after)? (\d+\.\d+)", r.f["action"])
        assert m is not None
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r, "action"))], [m.group(1)])

    def q_sep(self, asset: str, phr: tuple[str, ...]) -> None:
        """Closing date of the latest separator_failure repair."""
        r = self.last(self.sel(asset, "separator_failure"))
        self.add(self.say(*phr), [self.gold_wo(r, self.quote_for(r))], [r.f["closed"][:10]])

    def q_alarm_value(
        self, asset: str, code: str, day: str, phr: tuple[str, ...], first: bool = False
    ) -> None:
        """Value on the (first) ALARM line of a code on a day."""
        lines = self.alarm_match(rf"^{day} \S+ {re.escape(asset)} {code} ALARM ")
        assert lines and (first or len(lines) == 1), lines
        ln = lines[0]
        value = re.search(r"value=([\d.]+)", ln)
        assert value is not None
        self.add(self.say(*phr), [self.gold_alarm(ln)], [value.group(1)])

    def q_alarm_ack(self, asset: str, code: str, day: str, phr: tuple[str, ...]) -> None:
        """Operator who acknowledged the only alarm of a code on a day."""
        lines = self.alarm_match(rf"^{day} \S+ {re.escape(asset)} {code} ACK by ")
        assert len(lines) == 1, lines
        ln = lines[0]
        self.add(self.say(*phr), [self.gold_alarm(ln)], [ln.rsplit(" ", 1)[1]])

    def q_pullcord(self, asset: str, phr: tuple[str, ...]) -> None:
        """Time of a pull-cord stop on a day with exactly one of them (latest such day in 2024)."""
        lines = self.alarm_match(rf"^2024-\S+ \S+ {re.escape(asset)} E606 ALARM ")
        by_day: dict[str, list[str]] = {}
        for ln in lines:
            by_day.setdefault(ln[:10], []).append(ln)
        days = sorted(d for d, v in by_day.items() if len(v) == 1)
        assert days
        ln = by_day[days[-1]][0]
        self.add(self.say(*phr).format(d=days[-1]), [self.gold_alarm(ln)], [ln[11:16]])

    def q_first_alarm(self, asset: str, code: str, month: str, phr: tuple[str, ...]) -> None:
        """Date of the first ALARM of a code in a month."""
        lines = self.alarm_match(rf"^{month}-\S+ \S+ {re.escape(asset)} {code} ALARM ")
        assert lines
        ln = lines[0]
        self.add(self.say(*phr), [self.gold_alarm(ln)], [ln[:10]])


def main(argv: list[str] | None = None) -> None:
    """Read the generated logs and write the question file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="corpus", help="corpus root (default: corpus)")
    ap.add_argument("--out", default="/tmp/corpus_parts/qa_workorders.jsonl", help="output JSONL file")
    args = ap.parse_args(argv)
    root = Path(args.corpus)
    rows, wo_text = load_rows(root / "logs" / WO_FILE)
    alarm_text = (root / "logs" / ALARM_FILE).read_text(encoding="utf-8")
    qa = QA(rows, wo_text, alarm_text.splitlines(), alarm_text, seed=20250630)
    items = qa.build()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items), encoding="utf-8")
    print(f"wrote {len(items)} questions ({sum(it['answerable'] for it in items)} answerable) to {out}")


if __name__ == "__main__":
    main()
