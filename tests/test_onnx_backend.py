"""The onnxruntime-genai backend: greedy output equal to transformers', the export's cache key, clear install errors."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from copilot.config import DEFAULT_MODEL, GenerationConfig
from copilot.errors import ModelLoadError
from copilot.generation import backends, choice, convert
from copilot.generation.backends import HFGenerator, choose_backend, make_generator
from copilot.generation.onnx import OnnxGenerator
from tests.fakes import tiny_llama

BUNDLED = Path(__file__).resolve().parents[1] / "copilot" / "generation" / "adapters" / "smollm2-135m-maint"
MESSAGES = [{"role": "system", "content": "Answer only from the numbered passages."},
            {"role": "user", "content": "What torque do the seal gland nuts take ?"}]


def tiny_gqa_llama(tokenizer, seed: int = 0):  # type: ignore[no-untyped-def]
    """`fakes.tiny_llama` with 16-wide heads: onnxruntime's GroupQueryAttention needs head_size % 16 == 0."""
    return tiny_llama(tokenizer, seed, heads=2, kv_heads=1, positions=512)


@pytest.fixture
def tiny_model_dir(tmp_path: Path, tiny_tokenizer) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path / "tiny-llama"
    tiny_gqa_llama(tiny_tokenizer).save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    return folder


def test_onnx_greedy_output_equals_transformers_on_a_tiny_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime_genai")
    pytest.importorskip("onnx_ir")
    cfg = GenerationConfig(model=str(tiny_model_dir), backend="onnx", onnx_precision="fp32")
    fast = OnnxGenerator(tiny_model_dir, cfg, home=tmp_path / "home")
    reference = HFGenerator(tiny_model_dir, GenerationConfig(model=str(tiny_model_dir), backend="transformers"))
    expected = reference.generate(MESSAGES, max_new_tokens=16)
    assert expected  # a random model still says something: the comparison is not vacuous
    assert fast.generate(MESSAGES, max_new_tokens=16) == expected
    assert "".join(fast.stream(MESSAGES, max_new_tokens=16)).strip() == expected
    assert fast.count_tokens(MESSAGES) == reference.count_tokens(MESSAGES)
    assert fast._cache.reused == fast.count_tokens(MESSAGES) - 1  # the same prompt again: only its last token read
    other = [MESSAGES[0], {"role": "user", "content": "Which bearing runs hot on the CP-80 and why?"}]
    assert fast.generate(other, max_new_tokens=16) == reference.generate(other, max_new_tokens=16)
    assert 0 < fast._cache.reused < fast.count_tokens(other) - 1  # the shared system prompt was not read again
    assert fast.generate(MESSAGES, max_new_tokens=16) == expected  # rewound past a different prompt and reply
    exports = list((tmp_path / "home" / "models" / "onnx").iterdir())
    assert len(exports) == 1 and convert.is_prepared(exports[0])  # converted once, on first use, into the cache
    assert not convert.last_position_logits(exports[0] / "model.onnx")  # the head already reads the last position


def test_a_new_export_removes_the_ones_it_supersedes_and_no_other(tmp_path: Path) -> None:
    def export(name: str, finished: bool = True) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "genai_config.json").write_text("{}")
        if finished:
            (folder / convert.MANIFEST).write_text("{}")
        return folder

    current = export("SmolLM2-135M-Instruct-maint-int8-1111aaaa2222bbbb")
    older = export("SmolLM2-135M-Instruct-maint-int8-3333cccc4444dddd")  # a retrained adapter's earlier export
    kept = [export("SmolLM2-135M-Instruct-maint-int4-5555eeee6666ffff"),  # another precision
            export("SmolLM2-135M-Instruct-base-int8-7777aaaa8888bbbb"),  # another adapter
            export("SmolLM2-135M-Instruct-maint-int8-9999cccc0000dddd.tmp-x1", finished=False)]  # a conversion running
    assert convert.prune_superseded(current) == [older]
    assert not older.exists() and current.exists() and all(folder.exists() for folder in kept)


def test_the_cache_key_follows_the_adapter_bytes(tmp_path: Path) -> None:
    adapter = tmp_path / "adapter"
    shutil.copytree(BUNDLED, adapter)
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text("{}")
    before = convert.onnx_cache_dir(DEFAULT_MODEL, base, adapter, "int4", tmp_path)
    assert convert.onnx_cache_dir(DEFAULT_MODEL, base, adapter, "int4", tmp_path) == before  # stable
    (adapter / "README.md").write_text("notes only: the weights are unchanged")
    assert convert.onnx_cache_dir(DEFAULT_MODEL, base, adapter, "int4", tmp_path) == before
    weights = adapter / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # a retrained adapter: one byte of its weights differs
    weights.write_bytes(bytes(data))
    after = convert.onnx_cache_dir(DEFAULT_MODEL, base, adapter, "int4", tmp_path)
    assert after != before and after.parent == tmp_path / "models" / "onnx"
    assert convert.onnx_cache_dir(DEFAULT_MODEL, base, adapter, "int8", tmp_path) != after
    assert convert.onnx_cache_dir(DEFAULT_MODEL, base, None, "int4", tmp_path) != after


def hide_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if onnxruntime-genai were not installed: a None in sys.modules makes every import of it fail."""
    monkeypatch.setitem(sys.modules, "onnxruntime_genai", None)


def test_a_missing_engine_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hide_engine(monkeypatch)
    generator = OnnxGenerator(tmp_path, GenerationConfig(backend="onnx"), home=tmp_path)
    with pytest.raises(ModelLoadError, match=r"onnxruntime-genai.*not installed.*pip install.*backend: transformers"):
        generator.generate(MESSAGES, max_new_tokens=4)


def test_auto_uses_onnx_only_with_the_engine_and_int8_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GenerationConfig().backend == "auto"
    assert choose_backend(GenerationConfig(backend="transformers")) == "transformers"
    assert choose_backend(GenerationConfig(backend="auto", model="some/other-model")) == "transformers"
    assert choose_backend(GenerationConfig(backend="auto", device="cuda")) == "transformers"
    monkeypatch.setattr("index.precision.native_int8_dot", lambda device_type="cpu": True)
    hide_engine(monkeypatch)
    assert choose_backend(GenerationConfig(backend="auto", device="cpu")) == "transformers"
    monkeypatch.setattr(convert, "engine_installed", lambda: True)
    assert choose_backend(GenerationConfig(backend="auto", device="cpu")) == "onnx"
    monkeypatch.setattr("index.precision.native_int8_dot", lambda device_type="cpu": False)  # AVX2 only
    assert choose_backend(GenerationConfig(backend="auto", device="cpu")) == "transformers"


class SlowGenerator:
    """A fake backend: reading the prompt takes `prefill` seconds, each further token `per_token`."""

    def __init__(self, prefill: float, per_token: float) -> None:
        self.prefill, self.per_token, self.calls = prefill, per_token, 0

    def generate(self, messages: list[dict[str, str]], *, max_new_tokens: int) -> str:
        self.calls += 1
        time.sleep(self.prefill + self.per_token * (max_new_tokens - 1))
        return " ".join(["word"] * max_new_tokens)


def test_auto_follows_the_backend_prepare_measured_faster_on_this_machine(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    monkeypatch.setattr(convert, "engine_installed", lambda: True)
    monkeypatch.setattr("index.precision.native_int8_dot", lambda device_type="cpu": False)  # the rule: transformers
    cfg = GenerationConfig(backend="auto", device="cpu")
    assert choose_backend(cfg) == "transformers" and choice.recorded_choice(cfg) is None
    # reads the prompt slower but writes each token 20x faster: faster over a typical reply
    fast, slow = SlowGenerator(prefill=0.02, per_token=0.0001), SlowGenerator(prefill=0.005, per_token=0.002)
    record = choice.calibrate(cfg, {"onnx": lambda: fast, "transformers": lambda: slow}, reps=3)
    assert record["choice"] == "onnx" and record["answer_s"]["onnx"] < record["answer_s"]["transformers"]
    assert record["timings"]["onnx"]["prefill_s"] > record["timings"]["transformers"]["prefill_s"]
    assert fast.calls == slow.calls == 7  # a warm-up, then three prompt readings and three replies each
    assert choose_backend(cfg) == "onnx"  # the measurement overrides the rule
    assert choice.calibration_messages() == choice.calibration_messages()  # the same prompt every time
    other = GenerationConfig(backend="auto", device="cpu", onnx_precision="int4")
    assert choice.recorded_choice(other) is None and choose_backend(other) == "transformers"  # another key: the rule
    choice.choice_path().write_text("not json")
    assert choose_backend(cfg) == "transformers"  # a damaged record is ignored
    assert choose_backend(GenerationConfig(backend="transformers")) == "transformers"  # an explicit choice wins


def test_auto_falls_back_to_transformers_when_the_export_fails(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.setattr(backends, "choose_backend", lambda cfg: "onnx")
    generator = make_generator(GenerationConfig(backend="auto"), tmp_path, None)
    assert isinstance(generator, OnnxGenerator) and isinstance(generator.fallback, HFGenerator)
    hide_engine(monkeypatch)
    monkeypatch.setattr(generator.fallback, "generate", lambda messages, max_new_tokens: "from transformers")
    assert generator.generate(MESSAGES, max_new_tokens=4) == "from transformers"
    explicit = make_generator(GenerationConfig(backend="onnx"), tmp_path, None)
    assert isinstance(explicit, OnnxGenerator) and explicit.fallback is None  # an explicit choice fails loudly


def test_closing_a_transformers_stream_early_stops_decoding(tiny_model_dir: Path, monkeypatch) -> None:
    """A reader that stops (a draft cut short, a client gone) stops the decoding thread, not only the reading."""
    import transformers

    steps: list[int] = []
    original = transformers.LlamaForCausalLM.forward

    def counting_forward(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        steps.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(transformers.LlamaForCausalLM, "forward", counting_forward)
    cfg = GenerationConfig(model=str(tiny_model_dir), backend="transformers")
    generator = HFGenerator(tiny_model_dir, cfg)
    stream = generator.stream(MESSAGES, max_new_tokens=200)
    next(stream)
    stream.close()  # joins the decoding thread before it returns
    assert 1 <= len(steps) < 20  # not the 200 tokens asked for
    assert not generator._lock.locked()  # the next answer can start at once
