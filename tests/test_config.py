from pathlib import Path

import pytest

from copilot.config import CopilotConfig, load_config
from copilot.errors import ConfigError


def test_defaults_then_yaml_then_overrides(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("retrieval:\n  top_k: 6\ngeneration:\n  max_new_tokens: 90\n")
    cfg = load_config(file, {"generation.max_new_tokens": 50, "index_dir": str(tmp_path / "i")})
    assert cfg.retrieval.top_k == 6 and cfg.generation.max_new_tokens == 50
    assert cfg.index_dir == tmp_path / "i" and cfg.retrieval.min_score == CopilotConfig().retrieval.min_score


def test_default_index_lives_under_copilot_home(tmp_path: Path) -> None:
    assert CopilotConfig().index_dir == tmp_path / "home" / "index"


@pytest.mark.parametrize("text, message", [
    ("retrieval:\n  topk: 3\n", "unknown key"),
    ("retrieval:\n  top_k: 0\n", "top_k must be >= 1"),
    ("retrieval:\n  fusion: borda\n", "fusion must be .convex. or .rrf."),
    ("nonsense: {}\n", "unknown config section"),
    ("generation:\n  backend: openai\n", "needs an endpoint"),
])
def test_bad_config_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "c.yaml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(file)
