"""Shared set-up of the UI, API and browser tests: a real tiny index (hashing embedder) behind a CopilotService."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from copilot import Copilot, load_config
from copilot.web.service import CopilotService, ServiceConfig
from index import IndexConfig, build_index
from tests.fakes import HashingEmbedder, ScriptedGenerator

QUESTION = "What torque for the seal gland nuts?"
REPLY = "Tighten the seal gland nuts to 25 N·m [1]."


def make_service(corpus: Path, workdir: Path, *replies: str, slots: int = 1) -> tuple[CopilotService,
                                                                                        ScriptedGenerator]:
    """Index `corpus` into workdir/idx with the hashing embedder; answers come from a scripted generator."""
    embedder = HashingEmbedder(64)
    index_dir = workdir / "idx"
    build_index([corpus], index_dir, lambda: embedder, IndexConfig(embedder="fake"))
    generator = ScriptedGenerator(*(replies or (REPLY,)))
    cfg = load_config(None, {"index_dir": str(index_dir), "index.embedder": "fake"})
    copilot = Copilot.load(cfg, generator=generator, embedder=embedder)
    return CopilotService(copilot, ServiceConfig(generation_slots=slots)), generator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def api_server(app: Any) -> Iterator[str]:
    """The ASGI app served by a real uvicorn in a thread on a free loopback port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
