"""A few end-to-end checks with the real offline models (a few seconds each on 2 cores)."""

from pathlib import Path

import pytest

from copilot import Copilot, load_config
from copilot.config import GenerationConfig
from copilot.generation.backends import HFGenerator
from index import IndexConfig, build_index

pytestmark = pytest.mark.slow


def test_minilm_retrieves_the_right_manual_section(tiny_corpus: Path, tmp_path: Path, minilm) -> None:
    from index import HybridIndex

    build_index([tiny_corpus], tmp_path / "idx", lambda: minilm, IndexConfig())
    loaded = HybridIndex.load(tmp_path / "idx", minilm, IndexConfig().embedder)
    hit = loaded.search("how hot should I heat a new bearing before fitting", k=1)[0]
    assert hit.chunk.section == "6.4 Replacing the bearings" and hit.dense is not None and hit.dense > 0.3


def test_smollm_generates_a_reply_from_a_chat_prompt(smollm_path: Path) -> None:
    generator = HFGenerator(smollm_path, GenerationConfig(max_new_tokens=12))
    reply = generator.generate([{"role": "user", "content": "Name one part of a centrifugal pump."}],
                               max_new_tokens=12)
    assert isinstance(reply, str) and reply.strip()
    streamed = "".join(generator.stream([{"role": "user", "content": "Name one part of a centrifugal pump."}],
                                        max_new_tokens=12))
    assert streamed.strip() == reply.strip()  # greedy: streaming and one-shot agree


def test_end_to_end_ask_with_real_models_returns_passages_and_timings(tiny_corpus, tmp_path, minilm,
                                                                      smollm_path) -> None:
    build_index([tiny_corpus], tmp_path / "idx", lambda: minilm, IndexConfig())
    cfg = load_config(None, {"index_dir": str(tmp_path / "idx"), "generation.model": str(smollm_path),
                             "generation.max_new_tokens": 40})
    copilot = Copilot.load(cfg, embedder=minilm)
    answer = copilot.ask("What torque do the seal gland nuts take?")
    assert answer.passages and answer.passages[0].source == "pump_manual.md"
    assert answer.timings["total_s"] > 0
    assert answer.abstained or answer.citations  # either cited and checked, or an honest abstention
