"""Every number the answer routes decide with, in one place, with where it was calibrated.

`THRESHOLDS` is what the modules read. `copilot eval calibrate --write` (copilot/evaluation/calibrate.py) re-fits the
coverage thresholds on the development sets and writes its choice into the defaults below; the other numbers were
chosen by the experiments in docs/answers.md and docs/retrieval.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    # Least key-term coverage that counts as answering, calibrated on corpus/eval/qa.jsonl with cross-validation
    # (docs/answers.md, "Answers"). Manual questions need a line naming what they ask about; history questions ("last
    # time P-102 cavitated?") are answered by the named asset's records, which say it in shorthand ("PMP
    # CAVITATING"), and their wrong-asset and wrong-date cases are caught before this check.
    min_coverage: float = 0.32
    min_record_coverage: float = 0.0
    # An open question whose first-ranked passage is at least close_cosine in meaning needs only min_open_coverage.
    # Chosen on the corpus, eval/marlin_qa.jsonl and eval/marlin_qa_unanswerable.jsonl (real documentation; its
    # unanswerable open questions cover 0.09-0.51 of their key terms, the answerable 0.17-1.0);
    # eval/marlin_qa_blind.jsonl was held out (docs/answers.md, "Answers on real documents").
    min_open_coverage: float = 0.20
    close_cosine: float = 0.50
    heading_share: float = 0.5


THRESHOLDS = Thresholds()
