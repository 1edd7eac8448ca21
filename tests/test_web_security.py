"""The local API and UI hardened (issue 24): origin and host checks, the API key, size limits with 413, cancelled
work, distinct upload names, feedback tied to given answers, and no absolute server paths in replies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from copilot.cli import main
from copilot.config import ServerConfig, load_config
from copilot.errors import ConfigError, CopilotError
from copilot.web.api import create_app
from copilot.web.feedback import FeedbackStore, load_feedback
from copilot.web.guard import ensure_safe_bind, is_loopback
from copilot.web.service import CopilotService, LimitError, ServiceConfig, hide_paths
from copilot.web.ui import batch, chat, documents
from tests.ui_support import QUESTION, api_server, free_port, make_service

BASE = "http://127.0.0.1:8765"
MANUAL = b"# GB-7 Gearbox\n\n## 4 Oil\n\nChange the gearbox oil every 2000 hours with ISO VG 220 oil.\n"
KEY = "s3cret-key-for-tests"


def _client(tiny_corpus: Path, tmp_path: Path, **limits: object) -> tuple[TestClient, CopilotService]:
    service, _ = make_service(tiny_corpus, tmp_path)
    service.config = ServiceConfig(limits=ServerConfig(**limits))  # type: ignore[arg-type]
    app = create_app(service, FeedbackStore(tmp_path / "feedback.jsonl"), bind_host="127.0.0.1")
    return TestClient(app, base_url=BASE), service


@pytest.fixture
def api(tiny_corpus: Path, tmp_path: Path) -> tuple[TestClient, CopilotService]:
    return _client(tiny_corpus, tmp_path)


def _paths(client: TestClient) -> list[str]:
    return [d["path"] for d in client.get("/index").json()["documents"]]


# --- origin, host ---------------------------------------------------------------------------------------------------


def test_a_cross_origin_post_to_index_is_refused_and_adds_nothing(api) -> None:
    client, service = api
    before = _paths(client)
    files = [("files", ("cp80_update.md", MANUAL, "text/markdown"))]
    response = client.post("/index", files=files, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403 and "cross-origin" in response.json()["detail"]
    assert "evil.example" in response.json()["detail"]
    for origin in ("null", "http://127.0.0.1:9999", "http://localhost:1"):  # a sandboxed page, another local port
        assert client.post("/index", files=files, headers={"Origin": origin}).status_code == 403
    refererd = client.post("/index", files=files, headers={"Referer": "http://evil.example/page.html"})
    assert refererd.status_code == 403
    assert client.post("/feedback", json={"answer_id": "x", "verdict": "helpful"},
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert _paths(client) == before and not service.uploads_dir.exists()
    # the copilot's own origin, loopback aliases of its port, and clients without an Origin (curl) may post
    for headers in ({"Origin": BASE}, {"Origin": "http://localhost:8765"}, {}):
        assert client.post("/index", files=files, headers=headers).status_code == 200
    assert "uploads/cp80_update.md" in _paths(client)


def test_reads_from_a_foreign_page_and_dns_rebinding_hosts_are_refused(api) -> None:
    client, _ = api
    assert client.get("/index", headers={"Origin": "http://evil.example"}).status_code == 403
    rebound = client.get("/index", headers={"Host": "evil.example:8765"})
    assert rebound.status_code == 421 and "localhost only" in rebound.json()["detail"]
    assert client.get("/health", headers={"Host": "localhost:8765"}).status_code == 200


def test_extra_origins_can_be_allowed_in_config(tiny_corpus, tmp_path) -> None:
    client, _ = _client(tiny_corpus, tmp_path, allowed_origins=["https://tools.plant.local/"])
    ok = client.post("/search", json={"query": "seal"}, headers={"Origin": "https://tools.plant.local"})
    assert ok.status_code == 200


# --- API key --------------------------------------------------------------------------------------------------------


def test_the_api_key_guards_every_route_and_is_accepted_as_bearer_or_x_api_key(tiny_corpus, tmp_path) -> None:
    client, _ = _client(tiny_corpus, tmp_path, api_key=KEY)
    for method, path in (("GET", "/health"), ("GET", "/index"), ("GET", "/openapi.json"), ("POST", "/ask")):
        response = client.request(method, path, json={"question": QUESTION} if method == "POST" else None)
        assert response.status_code == 401 and "API key" in response.json()["detail"], path
    assert client.get("/health", headers={"Authorization": "Bearer wrong-key-123"}).status_code == 401
    assert client.get("/health", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert client.post("/ask", json={"question": QUESTION}, headers={"X-API-Key": KEY}).status_code == 200
    # the key does not make a cross-origin post acceptable
    assert client.post("/ask", json={"question": QUESTION},
                       headers={"X-API-Key": KEY, "Origin": "http://evil.example"}).status_code == 403


def test_listening_beyond_loopback_needs_a_key(tmp_path, capsys, monkeypatch) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")
    ensure_safe_bind("127.0.0.1", None)
    with pytest.raises(CopilotError, match="--api-key"):
        ensure_safe_bind("0.0.0.0", None)
    port = free_port()
    code = main(["serve", "--host", "0.0.0.0", "--port", str(port), "--index", str(tmp_path / "none"), "--no-llm"])
    err = capsys.readouterr().err
    assert code == 1 and "refusing to listen on 0.0.0.0 without an API key" in err and err.count("\n") == 1
    monkeypatch.setenv("COPILOT_API_KEY", KEY)  # with a key it gets as far as loading the (missing) index
    code = main(["serve", "--host", "0.0.0.0", "--port", str(port), "--index", str(tmp_path / "none"), "--no-llm"])
    err = capsys.readouterr().err
    assert code == 1 and "API key" not in err
    assert main(["ui", "--api-key", "short", "--port", str(port), "--index", str(tmp_path / "none")]) == 1
    assert "at least 8 characters" in capsys.readouterr().err


def test_server_limits_are_a_config_section(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("server:\n  max_question_chars: 500\n  allowed_origins: [https://a.example]\n")
    cfg = load_config(path)
    assert cfg.server.max_question_chars == 500 and cfg.server.allowed_origins == ("https://a.example",)
    path.write_text("server:\n  max_upload_bytes: 0\n")
    with pytest.raises(ConfigError, match="max_upload_bytes"):
        load_config(path)


# --- sizes ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def live(tiny_corpus: Path, tmp_path: Path) -> Iterator[tuple[str, CopilotService]]:
    """A real uvicorn server in a thread; yields (base URL, service)."""
    service, _ = make_service(tiny_corpus, tmp_path)
    app = create_app(service, FeedbackStore(tmp_path / "feedback.jsonl"))
    with api_server(app) as url:
        yield url, service


def test_a_huge_question_gets_413_at_once_over_real_http(live) -> None:
    base, service = live
    generator = service.copilot.generator
    started = time.monotonic()
    response = httpx.post(f"{base}/ask", json={"question": "pump " * 940_000}, timeout=30)  # 4.7 MB
    assert response.status_code == 413 and "server.max_body_bytes" in response.json()["detail"]
    assert time.monotonic() - started < 5
    long = httpx.post(f"{base}/ask", json={"question": "why " * 1000}, timeout=30)  # 4,000 characters
    assert long.status_code == 413 and "server.max_question_chars" in long.json()["detail"]
    assert generator.prompts == []  # nothing ran
    assert httpx.post(f"{base}/ask", json={"question": QUESTION}, timeout=30).status_code == 200


def test_a_chunked_body_is_cut_off_with_413(api) -> None:
    client, _ = api

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(400):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "256 kB" in response.json()["detail"]


def test_uploads_over_the_file_or_count_limit_get_413_and_store_nothing(tiny_corpus, tmp_path) -> None:
    client, service = _client(tiny_corpus, tmp_path, max_upload_bytes=1000, max_request_upload_bytes=3000,
                              max_upload_files=3)
    big = client.post("/index", files=[("files", ("big.md", b"# Big\n\n" + b"word " * 400, "text/markdown"))])
    assert big.status_code == 413 and "big.md" in big.json()["detail"] and "server.max_upload_bytes" in big.text
    many = client.post("/index", files=[("files", (f"n{i}.md", MANUAL, "text/markdown")) for i in range(4)])
    assert many.status_code == 413 and "server.max_upload_files" in many.json()["detail"]
    whole = client.post("/index", files=[("files", (f"n{i}.md", b"x" * 900, "text/markdown")) for i in range(3)]
                        + [("files", ("n4.md", b"x" * 90_000, "text/markdown"))])
    assert whole.status_code == 413
    assert not service.uploads_dir.exists() or not list(service.uploads_dir.iterdir())
    big_csv = client.post("/analyse", files={"file": ("s.csv", b"a,b\n" + b"1,2\n" * 500, "text/csv")})
    assert big_csv.status_code == 413
    # the UI's upload handler applies the same limits
    (tmp_path / "big.md").write_bytes(b"x" * 2000)
    with pytest.raises(LimitError, match="server.max_upload_bytes"):
        documents.upload_documents(service, [tmp_path / "big.md"])


def test_feedback_and_422_replies_are_bounded(api) -> None:
    client, _ = api
    answer_id = client.post("/ask", json={"question": QUESTION}).json()["answer_id"]
    long = client.post("/feedback", json={"answer_id": answer_id, "verdict": "wrong", "correction": "x" * 5000})
    assert long.status_code == 413 and "server.max_correction_chars" in long.json()["detail"]
    huge = client.post("/feedback", json={"answer_id": answer_id, "verdict": "wrong", "correction": "x" * 20_000})
    assert huge.status_code == 413 and "server.max_feedback_bytes" in huge.json()["detail"]
    bad = client.post("/ask", json={"question": QUESTION, "history": "y" * 100_000})
    assert bad.status_code == 422 and len(bad.content) < 1000
    assert "(100000 characters)" in bad.json()["detail"][0]["input"]


# --- cancellation and shutdown --------------------------------------------------------------------------------------


def _slow(service: CopilotService, produced: list[int], delay: float = 0.05) -> None:
    def stream(messages, *, max_new_tokens):  # type: ignore[no-untyped-def]
        for n in range(400):  # 20 s if nobody stops it
            time.sleep(delay)
            produced.append(n)
            yield "word "

    service.copilot.generator.stream = stream  # type: ignore[method-assign]


def test_an_answer_whose_client_went_away_stops_and_frees_its_slot(live) -> None:
    base, service = live
    produced: list[int] = []
    _slow(service, produced)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/ask", json={"question": QUESTION}, timeout=0.8)
    time.sleep(1.0)  # the server notices within its poll interval and stops at the next piece
    stopped_at = len(produced)
    time.sleep(0.5)
    assert 0 < stopped_at < 60 and len(produced) == stopped_at  # stopped, far from its 400 pieces
    assert service._take_slot(None)  # the generation slot was given back
    service._slots.release()


def test_sigterm_stops_the_server_within_seconds_while_an_answer_runs(tiny_corpus, tmp_path) -> None:
    port = free_port()
    script = f"""
import time
from pathlib import Path
from copilot.web.api import serve
from tests.ui_support import make_service
service, generator = make_service(Path({str(tiny_corpus)!r}), Path({str(tmp_path)!r}))
def stream(messages, *, max_new_tokens):
    while True:
        time.sleep(0.05)
        yield "word "
service.copilot.generator.stream = stream
serve(service, "127.0.0.1", {port})
"""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen([sys.executable, "-c", script], cwd=root, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        waiting = threading.Thread(target=lambda: _ignore(lambda: httpx.post(
            f"http://127.0.0.1:{port}/ask", json={"question": QUESTION}, timeout=30)), daemon=True)
        waiting.start()
        time.sleep(1.0)  # the answer is being generated, and never ends by itself
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert time.monotonic() - sent < 8
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _ignore(call) -> None:  # type: ignore[no-untyped-def]
    try:
        call()
    except httpx.HTTPError:
        pass


# --- uploads --------------------------------------------------------------------------------------------------------


def test_uploads_whose_names_sanitise_alike_are_both_kept(api) -> None:
    client, service = api
    second = MANUAL.replace(b"2000", b"3000")
    report = client.post("/index", files=[("files", ("manual.md", MANUAL, "text/markdown")),
                                          ("files", ("manual?.md", second, "text/markdown"))]).json()
    assert sorted(report["added"]) == ["uploads/manual-2.md", "uploads/manual.md"]
    assert sorted(p.name for p in service.uploads_dir.iterdir()) == ["manual-2.md", "manual.md"]
    later = client.post("/index", files=[("files", ("manual*.md", MANUAL.replace(b"2000", b"4000"), "text/md"))])
    assert later.json()["added"] == ["uploads/manual-3.md"]  # another name that sanitises alike: a third file
    again = client.post("/index", files=[("files", ("manual.md", MANUAL.replace(b"2000", b"5000"), "text/md"))])
    assert again.json()["updated"] == ["uploads/manual.md"]  # the same name again replaces its earlier version


def test_a_failed_upload_leaves_nothing_behind_and_later_uploads_work(api, monkeypatch) -> None:
    client, service = api
    assert client.post("/index", files=[("files", ("gearbox.md", MANUAL, "text/markdown"))]).status_code == 200

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise CopilotError("cannot read evil.pdf: encrypted")

    import copilot.web.service as service_module

    real = service_module.sync_index
    monkeypatch.setattr(service_module, "sync_index", crash)
    failed = client.post("/index", files=[("files", ("evil.pdf", b"%PDF-1.7 junk", "application/pdf")),
                                          ("files", ("gearbox.md", b"# broken new version\n", "text/markdown"))])
    assert failed.status_code == 400 and "encrypted" in failed.json()["detail"]
    assert sorted(p.name for p in service.uploads_dir.iterdir()) == ["gearbox.md"]
    assert (service.uploads_dir / "gearbox.md").read_bytes() == MANUAL  # the replaced file is put back
    monkeypatch.setattr(service_module, "sync_index", real)
    later = client.post("/index", files=[("files", ("valve.md", b"# Valve V-7\n\nPacking is PTFE.\n", "text/md"))])
    assert later.status_code == 200 and later.json()["added"] == ["uploads/valve.md"]


# --- feedback -------------------------------------------------------------------------------------------------------


def test_feedback_must_name_an_answer_the_server_gave_and_never_overwrites(tiny_corpus, tmp_path) -> None:
    client, _ = _client(tiny_corpus, tmp_path, feedback_per_answer=2)
    body = client.post("/ask", json={"question": QUESTION, "asset": "P-901"}).json()
    unknown = client.post("/feedback", json={"answer_id": "0" * 32, "verdict": "helpful"})
    assert unknown.status_code == 400 and "no answer with id" in unknown.json()["detail"]
    forged = dict(body, answer="Lockout is not required.")
    forged.pop("answer_id")
    assert client.post("/feedback", json={"verdict": "helpful", "answer": forged}).status_code == 422
    assert client.post("/feedback", json={"verdict": "helpful", "answer_id": body["answer_id"],
                                          "id": "someone-elses"}).status_code == 422  # ids are the server's
    first = client.post("/feedback", json={"verdict": "wrong", "answer_id": body["answer_id"]}).json()
    tampered = dict(body, answer="Lockout is not required.")  # the old shape: only its answer_id is read
    second = client.post("/feedback", json={"verdict": "wrong", "answer": tampered, "correction": "30 N·m"}).json()
    assert second["answer"] == body["answer"] and second["asset"] == "P-901"  # the kept answer, not the sent one
    assert first["id"] != second["id"] and first["answer_id"] == second["answer_id"] == body["answer_id"]
    third = client.post("/feedback", json={"verdict": "helpful", "answer_id": body["answer_id"]})
    assert third.status_code == 400 and "2 verdicts" in third.json()["detail"]
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["verdict"] for line in lines] == ["wrong", "wrong"]  # both kept, appended
    assert [r["correction"] for r in load_feedback(tmp_path / "feedback.jsonl")] == ["30 N·m"]  # latest per answer


def test_the_ui_bounds_verdicts_per_answer(tiny_corpus, tmp_path) -> None:
    service, _ = make_service(tiny_corpus, tmp_path)
    store = FeedbackStore(tmp_path / "fb.jsonl")
    _, messages, pending = chat.add_question(QUESTION, [])
    *_, (messages, session) = chat.answer_question(service, pending, messages, None, chat.ALL_ASSETS)
    for _ in range(2):
        assert "helpful" in chat.save_feedback(store, session, None, "helpful", limit=2)
    assert "already has 2 verdicts" in chat.save_feedback(store, session, None, "helpful", limit=2)
    assert "keep it under" in chat.save_feedback(store, session, None, "wrong", "x" * 5000)
    assert len(store.path.read_text().splitlines()) == 2


def test_a_too_long_question_in_the_ui_is_a_message_in_the_chat(tiny_corpus, tmp_path) -> None:
    service, generator = make_service(tiny_corpus, tmp_path)
    _, messages, pending = chat.add_question("why " * 1000, [])
    *_, (messages, session) = chat.answer_question(service, pending, messages, None, chat.ALL_ASSETS)
    assert "cp-error" in messages[-1]["content"] and "max_question_chars" in messages[-1]["content"]
    assert generator.prompts == [] and session.turns == []


# --- no server paths ------------------------------------------------------------------------------------------------


def test_replies_show_no_absolute_server_paths(api, tmp_path) -> None:
    client, service = api
    client.post("/index", files=[("files", ("gearbox.md", MANUAL, "text/markdown")),
                                 ("files", ("photo.jpg", b"\xff\xd8", "image/jpeg"))])
    stats = client.get("/index")
    assert stats.json()["location"] == "idx"
    replies = [stats.text, client.post("/ask", json={"question": QUESTION}).text,
               client.post("/search", json={"query": "gearbox oil"}).text,
               client.post("/analyse", files={"file": ("x.csv", b"a,b\nx,y\n", "text/csv")}).text]
    for text in replies:
        assert str(tmp_path) not in text and "/tmp/" not in text
    assert hide_paths("cannot read /tmp/copilot-analyse-x1/sub/x.csv: bad; see http://gpu-box:8000/v1") == \
        "cannot read x.csv: bad; see http://gpu-box:8000/v1"
    assert service.public_path(service.uploads_dir / "gearbox.md") == "uploads/gearbox.md"


# --- the UI ---------------------------------------------------------------------------------------------------------


def test_the_batch_tab_reads_folders_under_its_root_only(tmp_path) -> None:
    root = tmp_path / "runs"
    out = root / "out"
    out.mkdir(parents=True)
    (out / "report.md").write_text("# Batch report\n")
    secret = tmp_path / "elsewhere"
    secret.mkdir()
    (secret / "report.md").write_text("# not yours\n")
    (root / "link").symlink_to(secret)
    assert batch.open_batch_report("out", root=root)[0].startswith("# Batch report")  # relative to the root
    assert batch.open_batch_report(str(out), root=root)[0].startswith("# Batch report")
    for folder in (str(secret), "../elsewhere", "link", "/etc"):
        with pytest.raises(CopilotError, match="outside the batch folder"):
            batch.open_batch_report(folder, root=root)


def test_the_ui_refuses_cross_origin_posts_and_asks_browsers_for_the_key(tiny_corpus, tmp_path) -> None:
    import gradio as gr

    from copilot.web.guard import guard_middleware
    from copilot.web.ui.app import build_ui, guard_policy

    service, _ = make_service(tiny_corpus, tmp_path)
    limits = ServerConfig(api_key=KEY)
    demo = build_ui(service, feedback=FeedbackStore(tmp_path / "fb.jsonl"), sensor_dir=None, batch_root=tmp_path)
    app = gr.routes.App.create_app(demo, app_kwargs={"middleware": [guard_middleware(guard_policy("127.0.0.1",
                                                                                                   limits))]})
    with TestClient(app, base_url="http://127.0.0.1:7860") as client:
        page = client.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 401 and "<form method='post'" in page.text
        assert client.post("/gradio_api/upload", files={"files": ("a.md", MANUAL)},
                           headers={"Origin": "http://evil.example"}).status_code == 403
        assert client.post("/copilot-login", data={"key": "wrong-key-123"}).status_code == 401
        login = client.post("/copilot-login", data={"key": KEY}, follow_redirects=False)
        assert login.status_code == 303 and "HttpOnly" in login.headers["set-cookie"]
        assert KEY not in login.headers["set-cookie"]  # the cookie holds a keyed hash, not the key
        assert client.get("/config").status_code == 200  # the cookie is sent back
        client.cookies.clear()
        assert client.get("/config").status_code == 401
        assert client.get("/config", headers={"X-API-Key": KEY}).status_code == 200
        assert client.post("/gradio_api/upload", files={"files": ("a.md", MANUAL)},
                           headers={"Origin": "http://evil.example"}).status_code == 403  # logged in or not
