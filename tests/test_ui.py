"""UI handlers, rendering, feedback store and the shared service, without a browser (scripted generator, real tiny
index with the hashing embedder)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from copilot.errors import CopilotError, GenerationError
from copilot.records import Answer, Citation, Passage
from copilot.web.feedback import Feedback, FeedbackStore, load_feedback
from copilot.web.service import safe_file_name
from copilot.web.ui import batch, chat, documents, render, sensors
from index import IndexConfig, sync_index
from tests.fakes import HashingEmbedder
from tests.ui_support import QUESTION, REPLY, make_service


@pytest.fixture
def service(tiny_corpus: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_service(tiny_corpus, tmp_path)[0]


def _final(service, question: str, session=None, asset=chat.ALL_ASSETS):  # type: ignore[no-untyped-def]
    _, messages, pending = chat.add_question(question, [])
    steps = list(chat.answer_question(service, pending, messages, session, asset))
    return steps, steps[-1][0], steps[-1][1]


def sensor_csv(path: Path, spike_at: int = 200) -> Path:
    rng = np.random.default_rng(0)
    times = pd.date_range("2025-01-06", periods=300, freq="5min")
    frame = pd.DataFrame({"timestamp": times, "vibration_mm_s": 1.2 + rng.normal(0, 0.05, 300),
                          "bearing_temp_c": 55 + rng.normal(0, 0.3, 300)})
    frame.loc[spike_at:spike_at + 8, "vibration_mm_s"] += 6.0
    frame.to_csv(path, index=False)
    return path


# --- chat -------------------------------------------------------------------------------------------------------


def test_the_answer_streams_as_a_draft_then_the_checked_answer_replaces_it_with_tappable_sources(service) -> None:
    steps, messages, session = _final(service, QUESTION)
    drafts = [s[0][-1]["content"] for s in steps[:-1]]
    assert len(drafts) >= 3 and all("cp-draft" in d for d in drafts)  # word by word, before the final answer
    assert "Tighten the seal" in drafts[-1] and "writing…" in drafts[-1]
    final = messages[-1]["content"]
    assert messages[-2] == {"role": "user", "content": QUESTION}
    assert "writing…" not in final and '<sup class="cp-cite">[1]</sup>' in final
    assert '<details class="cp-source"><summary><span class="cp-n">[1]</span> pump_manual.md · 3.4 Bolt torques' \
        in final
    assert "25 N·m" in final.split("cp-quote")[1]  # opening the source shows the quoted line
    assert len(session.turns) == 1 and session.turns[0].message_index == 1


def test_a_follow_up_question_is_sent_with_the_conversation_so_far(tiny_corpus, tmp_path) -> None:
    service, generator = make_service(tiny_corpus, tmp_path, REPLY)
    _, messages, session = _final(service, QUESTION)
    _, messages, pending = chat.add_question("and the impeller nut?", messages)
    *_, (messages, session) = chat.answer_question(service, pending, messages, session, chat.ALL_ASSETS)
    assert len(session.turns) == 2 and session.turns[1].message_index == 3
    second_prompt = " ".join(m["content"] for m in generator.prompts[-1])
    assert QUESTION in second_prompt


def test_sessions_do_not_see_each_others_conversation(service) -> None:
    _, _, first = _final(service, QUESTION)
    _, _, second = _final(service, "What does E105 mean?")
    assert [t.question for t in first.turns] == [QUESTION]
    assert [t.question for t in second.turns] == ["What does E105 mean?"] and first.id != second.id


def test_the_asset_selector_limits_the_answer_to_that_asset(service) -> None:
    assert chat.asset_choices(service)[0] == chat.ALL_ASSETS and "P-901" in chat.asset_choices(service)
    _, _, session = _final(service, QUESTION, asset="P-901")
    assert session.turns[0].asset == "P-901"
    _, messages, session = _final(service, QUESTION, asset="ZZ-999")
    assert session.turns[0].answer.abstained and "cp-abstained" in messages[-1]["content"]


def test_a_generation_failure_is_shown_in_the_chat_and_the_session_survives(service) -> None:
    def broken(messages, *, max_new_tokens):  # type: ignore[no-untyped-def]
        raise GenerationError("endpoint http://gpu-box:8000/v1 unreachable: start the server or use --no-llm")
        yield ""

    service.copilot.generator.stream = broken
    steps, messages, session = _final(service, QUESTION)
    assert "cp-error" in messages[-1]["content"] and "unreachable" in messages[-1]["content"]
    assert session.turns == []
    assert chat.add_question("   ", messages)[1] == messages  # an empty question adds nothing


# --- rendering ----------------------------------------------------------------------------------------------------


PASSAGE = Passage(1, "m#c1", "Lock out first.\n<script>alert(1)</script> Torque 25 N·m.", "m.md", "m.md", 8,
                  "6.3 Replacing the seal", 0.8)


def test_safety_warnings_lead_the_answer_in_a_banner_and_are_not_repeated_in_the_text() -> None:
    answer = Answer("q", "⚠ WARNING: Lock out the pump.\nTorque is 25 N·m [1].",
                    (Citation(1, "m.md", 8, "6.3 Replacing the seal", "m#c1", "Torque 25 N·m."),), (PASSAGE,),
                    safety=("WARNING: Lock out the pump.",))
    html = render.answer_html(answer)
    assert html.startswith('<div class="cp-safety" role="alert"><div>⚠ WARNING: Lock out the pump.</div>')
    assert html.count("Lock out the pump") == 1
    assert "m.md · 6.3 Replacing the seal · p. 8" in html


def test_a_conflict_between_sources_is_in_the_banner_after_the_manuals_notice_and_an_upload_is_labelled() -> None:
    upload = Passage(2, "u#c1", "Lockout is not required.", "bulletin.md", "uploads/bulletin.md", None, "Update", 0.7,
                     trust="upload")
    conflict = 'CONFLICT: bulletin.md (upload) says "Lockout is not required.", but the equipment manual says ...'
    answer = Answer("do I need lockout?", f"⚠ WARNING: Lock out the pump.\n⚠ {conflict}\nLockout is not required [2].",
                    (Citation(2, "bulletin.md", None, "Update", "u#c1", "Lockout is not required.", trust="upload"),),
                    (PASSAGE, upload), safety=("WARNING: Lock out the pump.",), source_warnings=(conflict,))
    html = render.answer_html(answer)
    banner = html[:html.index("</div></div>")]
    assert banner.index("Lock out the pump") < banner.index("CONFLICT: bulletin.md (upload)")
    assert html.count("CONFLICT") == 1 and "(uploaded, not verified)" in html


def test_unsupported_sentences_are_highlighted_in_place_or_listed_beside_the_answer() -> None:
    answer = Answer("q", "Torque is 25 N·m [1]. Use 9 bar of pressure.", passages=(PASSAGE,),
                    unsupported=("Use 9 bar of pressure.", "the number 12"), route="rag")
    html = render.answer_html(answer)
    assert '<mark class="cp-unsupported" title="No cited passage supports this">⚠ Use 9 bar of pressure.</mark>' \
        in html
    assert "Not supported by the cited documents: the number 12" in html


def test_document_text_is_escaped_never_run_as_markup() -> None:
    answer = Answer("q", "See [1].", (Citation(1, "m.md", 8, None, "m#c1", "<b>x</b>"),), (PASSAGE,))
    html = render.answer_html(answer)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_a_revealed_passage_reads_as_plain_text_without_markdown_marks_or_blank_runs() -> None:
    passage = "> **WARNING:** Lock out.\n\n\n1. Drain.\n\n| Joint | Torque |\n|---|---|\n| Gland | 25 N·m |"
    assert render.readable(passage) == "WARNING: Lock out.\n1. Drain.\n| Joint | Torque |\n| Gland | 25 N·m |"


def test_an_abstention_says_so_and_lists_the_nearest_sources_as_not_answering() -> None:
    answer = Answer("q", "The documents do not cover this.", passages=(PASSAGE,), abstained=True, route="abstain",
                    unsupported=("no passage cleared the relevance floor",))
    html = render.answer_html(answer)
    assert "cp-abstained" in html and "Nearest sources (they do not answer the question)" in html
    assert "Why: no passage cleared the relevance floor" in html


# --- feedback -----------------------------------------------------------------------------------------------------


def test_feedback_is_saved_as_jsonl_a_training_builder_can_use_and_a_correction_supersedes(service,
                                                                                         tmp_path) -> None:
    store = FeedbackStore(tmp_path / "home" / "feedback.jsonl")
    _, _, session = _final(service, QUESTION)
    assert "helpful" in chat.save_feedback(store, session, 1, "helpful")
    assert "type it below" in chat.save_feedback(store, session, None, "wrong")
    assert "correction was saved" in chat.save_feedback(store, session, None, "wrong", "Use 30 N·m on M14 studs.")
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    records = load_feedback(store.path)
    assert len(records) == 1  # one answer: its latest verdict wins
    record = records[0]
    assert record["question"] == QUESTION and record["verdict"] == "wrong"
    assert record["correction"] == "Use 30 N·m on M14 studs." and record["answer"].startswith("Tighten")
    assert record["citations"][0]["source"] == "pump_manual.md" and record["passages"]
    assert record["timestamp"].endswith("+00:00")


def test_feedback_on_nothing_or_on_a_question_message_writes_nothing(service, tmp_path) -> None:
    store = FeedbackStore(tmp_path / "fb.jsonl")
    assert "Ask a question first" in chat.save_feedback(store, None, None, "helpful")
    _, _, session = _final(service, QUESTION)
    assert "not an answer" in chat.save_feedback(store, session, 0, "helpful")
    assert not store.path.exists()
    with pytest.raises(CopilotError, match="verdict"):
        Feedback("q", "a", "meh")


def test_feedback_from_many_threads_never_interleaves_lines(tmp_path) -> None:
    store = FeedbackStore(tmp_path / "fb.jsonl")
    answer = Answer("q", "x" * 5000)

    def write(n: int) -> None:
        for _ in range(20):
            store.append(Feedback.on(answer, "helpful", correction=str(n)))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(load_feedback(store.path)) == 80


# --- documents ----------------------------------------------------------------------------------------------------


def test_uploads_are_indexed_incrementally_and_skipped_files_are_listed_with_why(service, tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "gearbox manual.md").write_text("# GB-7 Gearbox\n\n## 4 Oil\n\nChange the gearbox oil every "
                                             "2000 hours with ISO VG 220 oil.\n", encoding="utf-8")
    (inbox / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (inbox / "empty.txt").write_text("", encoding="utf-8")
    steps: list[str] = []
    status, indexed, refused = documents.upload_documents(
        service, [inbox / "gearbox manual.md", inbox / "photo.jpg", inbox / "empty.txt"],
        lambda fraction, text: steps.append(text))
    assert "1 added" in status and "uploads/gearbox manual.md" in status and steps[-1] == "Index updated"
    assert ["uploads/gearbox manual.md", "manual", 1] in indexed
    reasons = dict((name, why) for name, why in refused)
    assert "unsupported file type .jpg" in reasons["photo.jpg"] and "no text" in reasons["empty.txt"]
    assert sorted(p.name for p in service.uploads_dir.iterdir()) == ["gearbox manual.md"]  # refused ones not kept
    hits = service.search("gearbox oil ISO VG 220", k=1)  # the live snapshot was swapped in
    assert hits[0].chunk.source == "gearbox manual.md"
    assert documents.upload_documents(service, [])[0].startswith("Choose one or more")
    again = documents.upload_documents(service, [tiny_corpus_manual(service)])
    assert again[2] == [["pump_manual.md", "already indexed as corpus/pump_manual.md"]]  # no duplicate passages
    assert "0 added" in again[0]


def tiny_corpus_manual(service) -> Path:  # type: ignore[no-untyped-def]
    return next(Path(key) for key, entry in service.copilot.index.manifest.files.items()
                if entry.path == "corpus/pump_manual.md")


def test_concurrent_uploads_and_questions_neither_corrupt_the_index_nor_fail(service, tmp_path) -> None:
    errors: list[BaseException] = []

    def upload(n: int) -> None:
        doc = tmp_path / f"note{n}.md"
        doc.write_text(f"# Note {n}\n\nValve V-{n}00 packing is PTFE grade {n}.\n", encoding="utf-8")
        try:
            service.add_documents([doc])
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    def ask() -> None:
        try:
            for _ in range(3):
                assert not service.ask(QUESTION).abstained
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in (1, 2, 3)] + [threading.Thread(target=ask)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    paths = [d["path"] for d in service.documents()]
    assert {"uploads/note1.md", "uploads/note2.md", "uploads/note3.md"} <= set(paths)
    assert len(paths) == len(set(paths))


def test_an_index_changed_by_another_process_is_picked_up_on_the_next_request(service, tmp_path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "fan.md").write_text("# Fan F-3\n\nGrease the fan bearings monthly with lithium grease.\n")
    before = len(service.copilot.index)
    sync_index([extra], service.index_dir, lambda: HashingEmbedder(64), IndexConfig(embedder="fake"))
    assert len(service.copilot.index) > before
    assert service.search("fan bearings lithium grease", k=1)[0].chunk.source == "fan.md"


def test_upload_names_are_stripped_of_folders_and_odd_characters() -> None:
    assert safe_file_name("C:\\docs\\CP-80 manual (v2).md") == "CP-80 manual v2.md"
    assert safe_file_name("../../etc/passwd") == "passwd" and safe_file_name("..") == "upload"


# --- sensors ------------------------------------------------------------------------------------------------------


def test_a_sensor_log_gives_a_plot_with_shaded_windows_and_the_repair_report(service, tmp_path) -> None:
    path = sensor_csv(tmp_path / "P-901.csv")
    image, markdown, report = sensors.analyse_sensor_log(service, path, None, {}, fit_rows=150)
    assert report["asset"] == "P-901" and report["events"]
    assert "#### Anomaly windows" in markdown and report["events"][0]["start"] in markdown
    assert image.width > 600 and image.height > 200
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    shaded = (pixels[:, 0] > 200) & (pixels[:, 0] - pixels[:, 2] > 40)  # the severity colours are red to yellow
    assert shaded.sum() > 500  # the anomaly windows are shaded
    picked = sensors.analyse_sensor_log(service, None, "P-901", sensors.corpus_sensor_files(tmp_path), "P-901", 150)
    assert picked[2]["events"] and picked[2]["fit"]
    with pytest.raises(CopilotError, match="upload a sensor CSV or pick"):
        sensors.analyse_sensor_log(service, None, None, {})


def test_a_bad_sensor_file_is_a_clear_error(service, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\nx,y\n")
    with pytest.raises(CopilotError):
        sensors.analyse_sensor_log(service, bad, None, {})


# --- batch report -------------------------------------------------------------------------------------------------


def test_a_batch_report_folder_opens_as_summary_full_report_and_records(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("# Batch report\n\n3 assets, 1 needs action.\n")
    (out / "report.html").write_text('<html><body><h1>Batch "report"</h1><script>x()</script></body></html>')
    (out / "report.jsonl").write_text(json.dumps({"asset": "P-101", "urgency": "high", "events": [1, 2]}) + "\n"
                                      + "{broken\n" + json.dumps({"asset": "C-201", "note": "ok"}) + "\n")
    markdown, frame, table = batch.open_batch_report(str(out), root=tmp_path)
    assert markdown.startswith("# Batch report") and "report.jsonl line 2: not JSON" in markdown
    assert 'sandbox=""' in frame and "&lt;h1&gt;Batch &quot;report&quot;&lt;/h1&gt;" in frame
    assert table["headers"] == ["asset", "urgency", "events", "note"]
    assert table["data"] == [["P-101", "high", "[1, 2]", None], ["C-201", None, None, "ok"]]
    only_md = batch.open_batch_report(None, [out / "report.md"])  # uploads need no root
    assert only_md[0].startswith("# Batch report") and only_md[1] == ""


def test_a_folder_without_reports_says_how_to_make_one(tmp_path) -> None:
    with pytest.raises(CopilotError, match="copilot batch"):
        batch.open_batch_report(str(tmp_path), root=tmp_path)
    with pytest.raises(CopilotError, match="no folder"):
        batch.open_batch_report(str(tmp_path / "missing"), root=tmp_path)
    with pytest.raises(CopilotError, match="give the batch output folder"):
        batch.open_batch_report("", None)
