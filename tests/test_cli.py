import subprocess
import sys

import pytest

from copilot.cli import main

SUBCOMMANDS = ["index", "search", "ask", "analyse", "batch", "ui", "serve", "eval", "finetune", "prepare"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0 and "usage: copilot" in capsys.readouterr().out


def test_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_a_missing_index_is_one_line_and_exit_code_1(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["search", "seal", "--index", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and "copilot index build" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_ask_without_an_index_fails_before_loading_any_model(tmp_path, capsys) -> None:
    code = main(["ask", "what torque?", "--index", str(tmp_path / "none"), "--model", "acme/absent"])
    err = capsys.readouterr().err
    assert code == 1 and "no index found" in err and "acme/absent" not in err


def test_finetune_train_without_a_data_set_says_how_to_build_one(tmp_path, capsys) -> None:
    assert main(["finetune", "train", "--data", str(tmp_path / "none")]) == 1
    assert "copilot finetune data" in capsys.readouterr().err


def test_python_dash_m_copilot_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "copilot", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "analyse" in result.stdout


def test_search_queries_file_prints_one_json_line_per_query(tmp_path, tiny_corpus, capsys, monkeypatch) -> None:
    import json

    from tests.fakes import HashingEmbedder

    monkeypatch.setattr("index.embeddings.make_embedder", lambda *a, **k: HashingEmbedder(64))
    assert main(["index", "build", str(tiny_corpus), "--index", str(tmp_path / "idx"), "--embedder", "fake"]) == 0
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"question": "seal gland torque"}\nE105 meaning\n')
    capsys.readouterr()
    assert main(["search", "--queries", str(queries), "--json", "-k", "2", "--index", str(tmp_path / "idx"),
                 "--embedder", "fake"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["seal gland torque", "E105 meaning"]
    hit = lines[0]["hits"][0]
    assert {"source", "path", "page", "section", "chunk_id", "score", "text"} <= set(hit)


def test_eval_calibrate_fits_the_coverage_threshold_and_writes_it_only_when_asked(tmp_path, tiny_corpus, capsys,
                                                                                   monkeypatch) -> None:
    import json
    import shutil

    from copilot.evaluation import calibrate
    from tests.fakes import HashingEmbedder

    monkeypatch.setattr("index.embeddings.make_embedder", lambda *a, **k: HashingEmbedder(64))
    assert main(["index", "build", str(tiny_corpus), "--index", str(tmp_path / "idx"), "--embedder", "fake"]) == 0
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(q) for q in [
        {"id": "pump-01", "question": "What torque for the seal gland nuts?", "answerable": True, "gold": []},
        {"id": "pump-02", "question": "labyrinth ring part number", "answerable": False, "gold": []},
    ]) + "\n")
    thresholds = tmp_path / "thresholds.py"
    shutil.copy(calibrate.THRESHOLDS_FILE, thresholds)
    monkeypatch.setattr(calibrate, "THRESHOLDS_FILE", thresholds)
    before = thresholds.read_text(encoding="utf-8")
    capsys.readouterr()
    args = ["eval", "calibrate", "--qa", str(qa), "--index", str(tmp_path / "idx"), "--embedder", "fake", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["questions"] == 2
    assert {"fitted", "configured", "two_halves_by_id", "leave_one_family_out", "curve"} <= set(result)
    assert thresholds.read_text(encoding="utf-8") == before  # nothing written without --write

    assert main([*args, "--write"]) == 0
    after = thresholds.read_text(encoding="utf-8")
    fitted = result["fitted"]
    assert f"    min_coverage: float = {float(fitted['min_coverage'])!r}\n" in after
    assert f"    min_record_coverage: float = {float(fitted['min_record_coverage'])!r}\n" in after
    changed = [old for old, new in zip(before.splitlines(), after.splitlines(), strict=True) if old != new]
    assert all(line.lstrip().startswith(("min_coverage:", "min_record_coverage:")) for line in changed)


def test_eval_procedures_scores_step_recall(tmp_path, tiny_corpus, capsys, monkeypatch) -> None:
    import json

    from tests.fakes import HashingEmbedder

    monkeypatch.setattr("index.embeddings.make_embedder", lambda *a, **k: HashingEmbedder(64))
    assert main(["index", "build", str(tiny_corpus), "--index", str(tmp_path / "idx"), "--embedder", "fake"]) == 0
    qa = tmp_path / "procedures.jsonl"
    qa.write_text(json.dumps({"id": "proc-01", "question": "How do I replace the mechanical seal?", "answerable": True,
                              "gold": [{"source": "pump_manual.md", "section": "6.3 Replacing the mechanical seal"}]})
                  + "\n")
    capsys.readouterr()
    assert main(["eval", "procedures", "--qa", str(qa), "--index", str(tmp_path / "idx"), "--embedder", "fake",
                 "--no-llm", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["questions"] == result["answerable"] == 1
    assert result["per_question"][0]["steps"] == 3  # the section's numbered list, read from the index
    assert 0.0 <= result["step_recall_mean"] <= 1.0


def test_eval_retrieval_scores_each_mode_and_documents_apart_from_records(tmp_path, tiny_corpus, capsys,
                                                                          monkeypatch) -> None:
    import json

    from tests.fakes import HashingEmbedder

    monkeypatch.setattr("index.embeddings.make_embedder", lambda *a, **k: HashingEmbedder(64))
    assert main(["index", "build", str(tiny_corpus), "--index", str(tmp_path / "idx"), "--embedder", "fake"]) == 0
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(q) for q in [
        {"id": "m1", "question": "seal gland nuts torque", "answerable": True,
         "gold": [{"source": "pump_manual.md", "quote": "25 N·m"}]},
        {"id": "w1", "question": "P-902 NDE bearing hot", "answerable": True,
         "gold": [{"source": "work_orders.csv", "section": "WO-24-0002"}]},
        {"id": "u1", "question": "labyrinth ring part number", "answerable": False, "gold": []},
    ]) + "\n")
    capsys.readouterr()
    assert main(["eval", "retrieval", "--qa", str(qa), "--index", str(tmp_path / "idx"), "--embedder", "fake",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["questions"] == 2  # the unanswerable one has no gold to find
    assert {"dense", "keyword", "hybrid", "copilot"} <= set(result)
    kinds = result["by_gold_kind"]
    assert kinds["documents"]["questions"] == kinds["records"]["questions"] == 1
    assert kinds["documents"]["keyword"]["recall@5"] == 1.0  # "seal gland nuts torque" is the torque row's words
