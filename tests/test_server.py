"""The HTTP API against a running server: uvicorn in a thread on 127.0.0.1, scripted generator, tiny real index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from copilot.cli import main
from copilot.web.api import create_app
from copilot.web.feedback import FeedbackStore, load_feedback
from tests.fakes import HashingEmbedder
from tests.test_ui import sensor_csv
from tests.ui_support import QUESTION, api_server, make_service


@pytest.fixture
def api(tiny_corpus: Path, tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    """A client of the API server running in this process; yields (client, work folder)."""
    service, _ = make_service(tiny_corpus, tmp_path)
    app = create_app(service, FeedbackStore(tmp_path / "feedback.jsonl"))
    with api_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, tmp_path


def _without_timings(record: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in record.items() if k not in ("timings", "answer_id")}


def test_the_openapi_description_lists_every_endpoint(api) -> None:
    client, _ = api
    spec = client.get("/openapi.json").json()
    assert {"/ask", "/search", "/analyse", "/index", "/assets", "/feedback", "/health"} <= set(spec["paths"])
    assert "question" in spec["components"]["schemas"]["AskRequest"]["properties"]


def test_ask_returns_the_json_of_copilot_ask(api, tiny_corpus, tmp_path, capsys, monkeypatch) -> None:
    client, _ = api
    response = client.post("/ask", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert {"question", "answer", "abstained", "citations", "unsupported", "safety", "route",
            "passages", "timings", "causes", "answer_id"} <= set(body)
    assert body["citations"][0]["source"] == "pump_manual.md" and not body["abstained"]
    # The CLI on the same index with the same scripted model prints the same record.
    from tests.fakes import ScriptedGenerator

    monkeypatch.setattr("index.embeddings.make_embedder", lambda *a, **k: HashingEmbedder(64))
    monkeypatch.setattr("copilot.app.make_generator",
                        lambda *a, **k: ScriptedGenerator("Tighten the seal gland nuts to 25 N·m [1]."))
    monkeypatch.setattr("copilot.generation.models.resolve_language_model", lambda *a, **k: "unused")
    capsys.readouterr()
    assert main(["ask", QUESTION, "--json", "--index", str(tmp_path / "idx"), "--embedder", "fake"]) == 0
    assert _without_timings(json.loads(capsys.readouterr().out)) == _without_timings(body)


def test_ask_with_asset_and_history_and_bad_requests(api) -> None:
    client, _ = api
    scoped = client.post("/ask", json={"question": QUESTION, "asset": "ZZ-999"}).json()
    assert scoped["abstained"] and scoped["route"] == "abstain"
    follow = client.post("/ask", json={"question": "and the impeller nut?",
                                       "history": [[QUESTION, "Tighten the seal gland nuts to 25 N·m [1]."]]})
    assert follow.status_code == 200 and follow.json()["question"] == "and the impeller nut?"
    assert client.post("/ask", json={"question": ""}).status_code == 422
    assert client.post("/ask", json={"asset": "P-101"}).status_code == 422


def test_search_returns_the_json_of_copilot_search(api, tmp_path, capsys, monkeypatch) -> None:
    client, _ = api
    body = client.post("/search", json={"query": "seal gland torque", "k": 3}).json()
    monkeypatch.setattr("index.embeddings.make_embedder", lambda *a, **k: HashingEmbedder(64))
    capsys.readouterr()
    assert main(["search", "seal gland torque", "-k", "3", "--json", "--index", str(tmp_path / "idx"),
                 "--embedder", "fake"]) == 0
    assert json.loads(capsys.readouterr().out) == body
    typed = client.post("/search", json={"query": "seal", "type": ["work_order"]}).json()
    assert typed["hits"] and all(h["source"] == "work_orders.csv" for h in typed["hits"])


def test_analyse_an_uploaded_sensor_log(api, tmp_path) -> None:
    client, _ = api
    path = sensor_csv(tmp_path / "P-901.csv")
    with open(path, "rb") as handle:
        response = client.post("/analyse", files={"file": ("P-901.csv", handle, "text/csv")},
                               data={"fit_rows": "100"})
    assert response.status_code == 200
    report = response.json()
    assert report["asset"] == "P-901" and report["events"] and "summary" in report
    bad = client.post("/analyse", files={"file": ("x.csv", b"a,b\nx,y\n", "text/csv")})
    assert bad.status_code == 400 and bad.json()["detail"]
    empty = client.post("/analyse", files={"file": ("empty.csv", b"", "text/csv")})  # 0 bytes: a 500 before
    assert empty.status_code == 400 and "empty file" in empty.json()["detail"]


def test_index_upload_then_stats_search_and_feedback(api, tmp_path) -> None:
    client, work = api
    manual = b"# GB-7 Gearbox\n\n## 4 Oil\n\nChange the gearbox oil every 2000 hours with ISO VG 220 oil.\n"
    response = client.post("/index", files=[("files", ("gearbox.md", manual, "text/markdown")),
                                            ("files", ("photo.jpg", b"\xff\xd8", "image/jpeg"))])
    assert response.status_code == 200
    report = response.json()
    assert report["added"] == ["uploads/gearbox.md"] and report["skipped"][0]["path"] == "photo.jpg"
    stats = client.get("/index").json()
    assert "uploads/gearbox.md" in [d["path"] for d in stats["documents"]] and stats["embedder"] == "fake"
    hit = client.post("/search", json={"query": "gearbox oil ISO VG 220", "k": 1}).json()["hits"][0]
    assert hit["source"] == "gearbox.md"
    assert "P-901" in client.get("/assets").json()["assets"]

    answer = client.post("/ask", json={"question": QUESTION}).json()
    saved = client.post("/feedback", json={"verdict": "wrong", "answer": answer, "correction": "30 N·m"})
    assert saved.status_code == 200 and saved.json()["correction"] == "30 N·m"
    record = load_feedback(work / "feedback.jsonl")[0]
    assert record["question"] == QUESTION and record["passages"] and record["citations"]
    assert client.post("/feedback", json={"verdict": "meh", "answer": answer}).status_code == 422


def test_concurrent_questions_each_get_their_own_answer(api) -> None:
    client, _ = api
    questions = [f"{QUESTION} ({n})" for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        bodies = list(pool.map(lambda q: client.post("/ask", json={"question": q}).json(), questions))
    assert [b["question"] for b in bodies] == questions
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize("command", ["serve", "ui"])
def test_a_busy_port_is_one_line_and_exit_code_1_before_any_model_loads(command, tmp_path, capsys) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main([command, "--port", str(port), "--index", str(tmp_path / "none"), "--model", "acme/absent"])
    err = capsys.readouterr().err
    assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err and err.count("\n") == 1
