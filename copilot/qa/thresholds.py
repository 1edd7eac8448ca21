"""Every number the answer routes decide with, in one place, with where it was calibrated.

`THRESHOLDS` is what the modules read. `copilot eval calibrate --write` (copilot/evaluation/calibrate.py) re-fits the
coverage thresholds on the development sets and writes its choice into the defaults below; the other numbers were
chosen by the experiments in docs/answers.md and docs/retrieval.md, or set by hand where the comment says so. The
word lists and patterns the same modules read are in copilot/qa/lexicon.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Thresholds:
    # -- answerability (copilot/qa/answerability.py): does a line state what is asked? ------------------------------
    # Least key-term coverage that counts as answering, calibrated on corpus/eval/qa.jsonl with cross-validation by
    # `copilot eval calibrate` (docs/answers.md, "Calibration and cross-validation"). Manual questions need a line
    # naming what they ask about; history questions ("last time P-102 cavitated?") are answered by the named asset's
    # records, which say it in shorthand ("PMP CAVITATING"), and their wrong-asset and wrong-date cases are caught
    # before this check.
    min_coverage: float = 0.32
    min_record_coverage: float = 0.0
    # An open question whose first-ranked passage is at least close_cosine in meaning needs only min_open_coverage.
    # Chosen on the corpus, eval/marlin_qa.jsonl and eval/marlin_qa_unanswerable.jsonl (real documentation; its
    # unanswerable open questions cover 0.09-0.51 of their key terms, the answerable 0.17-1.0);
    # eval/marlin_qa_blind.jsonl was held out (docs/answers.md, "Answers on real documents").
    min_open_coverage: float = 0.20
    close_cosine: float = 0.50
    # A key term found only in a line's section heading counts this share of its weight: "6.3 Replacing the
    # mechanical seal" says what every step below it is about, but "3.4 Bolt torques" names no particular bolt. Kept
    # on corpus/eval/qa.jsonl, where counting the heading's topic lowered false abstention from 0.074 to 0.066
    # (docs/retrieval.md, "Fusion"; docs/answers.md, "The abstention decision").
    heading_share: float = 0.5

    # -- extractive answers (copilot/qa/extractive.py): the documents' own lines --------------------------------------
    # A second passage is cited beside the first when its best line scores at least this share of the best line's
    # (docs/answers.md, "Citations of extractive answers"; corpus/eval/qa.jsonl).
    second_passage_share: float = 0.85
    # A line's score loses this much per place its passage is ranked below the first, so the better-ranked passage
    # wins a tie. Set by hand with the first extractive route, not tuned since.
    later_passage_penalty: float = 0.02
    # A sentence of fewer words is no candidate answer line (a heading fragment, "See 6.3."). Set by hand.
    min_sentence_words: int = 3

    # -- checking a model reply (copilot/qa/citations.py) ------------------------------------------------------------
    # Share of a sentence's content tokens found in the cited passage for it to count as supported. Set by hand with
    # the first cited answer path; the model-route figures of docs/answers.md ("The model route") are measured with it.
    min_support: float = 0.5
    # Share of a clause's words in one passage sentence that makes it a copy of that sentence, whose polarity it must
    # keep; found on the LinuxCNC docs ("default ... is YES" for a passage saying NO; docs/answers.md, "The model
    # route"), corpus figures unchanged. A clause of fewer than near_copy_words distinct words is not checked.
    near_copy: float = 0.7
    near_copy_words: int = 4

    # -- procedures (copilot/qa/procedure.py): the manual's numbered steps --------------------------------------------
    # A numbered list answers a procedure question when it has at least min_steps steps; steps past max_steps are not
    # read; the section is looked for among the first top_passages retrieved passages. Measured on
    # eval/procedure_qa.jsonl with `copilot eval procedures` (docs/answers.md, "Procedures").
    min_steps: int = 3
    max_steps: int = 30
    top_passages: int = 3

    # -- retrieval (copilot/qa/retrieval.py) --------------------------------------------------------------------------
    # A first place: fused scores are in these units, whichever fusion (index/search.py), so a named code, a named
    # date or the newest record is worth one first place (docs/retrieval.md, "Fusion").
    vote: float = 1.0
    # How much each kind of document counts (`retrieval.side_weights`): the side a question is about 1.0, the others
    # less; for a manual question, a history question, and one about alarm/event lines (readings, trips: the log is
    # the primary record). Set with the query plan on corpus/eval/qa.jsonl (docs/retrieval.md, "Retrieval figures");
    # a grid of side weights stayed within two questions on both Marlin sets (docs/retrieval.md, "A second, blind
    # Marlin set").
    manual_sides: Mapping[str, float] = field(
        default_factory=lambda: {"manual": 1.0, "work_order": 0.6, "log": 0.45})
    history_sides: Mapping[str, float] = field(
        default_factory=lambda: {"manual": 0.6, "work_order": 1.0, "log": 0.8})
    event_sides: Mapping[str, float] = field(
        default_factory=lambda: {"manual": 0.6, "work_order": 0.9, "log": 1.0})
    # For a "last time" question, the records whose keyword score is at least this share of the best one's are close
    # enough to be ordered newest first ("PM 4000H" against "PM 2000H"). Set with the query plan's recency rule.
    recent_keyword_share: float = 0.75
    # A passage under the cosine floor (retrieval.min_score in the config) is still evidence when the keyword side
    # ranks it within keyword_rank (an exact code or part number) and its cosine is at most keyword_slack below the
    # floor. Set by hand with the first retriever.
    keyword_rank: int = 2
    keyword_slack: float = 0.1


    # -- troubleshooting (copilot/qa/troubleshoot.py): a symptom matched against the troubleshooting rows -------------
    # A row's score is troubleshoot_dense x the cosine of its symptom text to the question plus troubleshoot_keyword x
    # the idf-weighted share of the question's words (symptom words mapped) the row says; words of a "recent work"
    # clause found in its cause or remedy add troubleshoot_recent_work. Below troubleshoot_floor nothing explains the
    # symptom. Chosen on the development half of eval/troubleshoot_qa.jsonl (docs/troubleshooting.md).
    troubleshoot_dense: float = 1.0
    troubleshoot_keyword: float = 0.6
    troubleshoot_recent_work: float = 0.15
    troubleshoot_floor: float = 0.50
    # With the symptom encoder on (retrieval.symptom_encoder, copilot/qa/symptom_encoder.py), the cosine a row gets is
    # this share the encoder's, the rest the index embedder's; 0.25 kept the development half's top 3 where 0.5 lost
    # some (docs/troubleshooting.md, "The symptom encoder").
    troubleshoot_tuned_dense: float = 0.25
    # A row whose symptom or cause reads a quantity the way the question does ("oil temperature normal") gains
    # troubleshoot_state x its agreement; one that contradicts it ("tension too low" when the tension checked in
    # spec) loses troubleshoot_state_differ x the contradiction (copilot/qa/readings.py). Two readings are of the
    # same quantity when at least troubleshoot_state_match of the smaller one's idf weight is shared. Chosen on the
    # development half (docs/troubleshooting.md): a contradiction weighs more than an agreement, as a reading in
    # the question that a row contradicts rules the row out, while one it shares may be incidental.
    troubleshoot_state: float = 0.05
    troubleshoot_state_differ: float = 0.3
    troubleshoot_state_match: float = 0.6
    # A diagnosis question in none of the symptom words of lexicon.SYMPTOM_RE is a symptom question when a row's
    # symptom is this close in meaning (else another route answers it). Chosen with corpus/eval/qa.jsonl held: its
    # look-ups asked as "what should I ..." stay with the other routes.
    troubleshoot_unsaid_dense: float = 0.55
    # At least troubleshoot_min_causes causes are listed, more while within troubleshoot_share of the best score, at
    # most troubleshoot_max_causes. Set by hand for a list a technician scans on a phone.
    troubleshoot_min_causes: int = 3
    troubleshoot_max_causes: int = 5
    troubleshoot_share: float = 0.9
    # The named asset's work orders count as evidence when they match the symptom within troubleshoot_history_share
    # of the best row's score; a work order found a cause when troubleshoot_cause_overlap of one of the cause's terms
    # is in its recorded cause. Each such work order adds troubleshoot_history_vote x its share of the asset's
    # matching history to that cause's score.
    troubleshoot_history_share: float = 0.7
    troubleshoot_cause_overlap: float = 0.5
    troubleshoot_history_vote: float = 0.3

THRESHOLDS = Thresholds()
