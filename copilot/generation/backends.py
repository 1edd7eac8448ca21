"""Generator backends behind one protocol: local transformers (optional LoRA; GPUs, other models, AVX2-only CPUs),
onnxruntime-genai (`onnx.py`; what `generation.backend: auto`, the default, picks for the default model on a CPU with
VNNI/AMX int8 instructions), or an OpenAI-compatible endpoint.

Prompts are chat messages; each backend applies its own chat template. Decoding is greedy unless a temperature is
configured, so the same question gives the same answer.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from copilot.config import DEFAULT_MODEL, GenerationConfig
from copilot.errors import GenerationError, ModelLoadError
from copilot.generation.prompts import end_of_turn_ids

logger = logging.getLogger(__name__)

Messages = list[dict[str, str]]


class Generator(Protocol):
    """Anything that turns chat messages into text. Fakes in tests need no inheritance."""

    name: str

    def generate(self, messages: Messages, *, max_new_tokens: int) -> str: ...

    def stream(self, messages: Messages, *, max_new_tokens: int) -> Iterator[str]: ...


class HFGenerator:
    """A local transformers causal LM (lazy: loaded on first use), with an optional peft LoRA adapter."""

    def __init__(self, model_path: Path | str, cfg: GenerationConfig, adapter: Path | None = None) -> None:
        self.model_path = model_path
        self.cfg = cfg
        self.adapter = adapter
        self.name = str(cfg.model) + (f" + {adapter.name}" if adapter else "")
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()  # one generation at a time per model: torch already uses every core

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        device = self.cfg.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.model_path)
            model: Any = AutoModelForCausalLM.from_pretrained(self.model_path, dtype=dtype)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load language model from {self.model_path}: {exc}") from exc
        if self.adapter is not None:
            try:
                from peft import PeftModel
            except ImportError as exc:
                raise ModelLoadError(
                    "a LoRA adapter is configured but peft is not installed: "
                    "pip install 'maintenance-copilot[finetune]', or run with --no-adapter"
                ) from exc
            try:
                # Merged into the weights: decoding is then exactly as fast as the base model's.
                model = PeftModel.from_pretrained(model, str(self.adapter)).merge_and_unload()
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelLoadError(f"cannot load LoRA adapter {self.adapter}: {exc}") from exc
        model.to(device).eval()
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._model, self._tokenizer, self._device = model, tokenizer, device
        self._stop_ids = end_of_turn_ids(tokenizer)

    def _inputs(self, messages: Messages) -> Any:
        encoded = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                      return_dict=True)
        return {k: v.to(self._device) for k, v in encoded.items()}

    def _generate_kwargs(self, max_new_tokens: int) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": self._tokenizer.pad_token_id,
                                  "eos_token_id": self._stop_ids}
        if self.cfg.temperature > 0:
            kwargs.update(do_sample=True, temperature=self.cfg.temperature)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def count_tokens(self, messages: Messages) -> int:
        self._load()
        return int(self._inputs(messages)["input_ids"].shape[1])

    def generate(self, messages: Messages, *, max_new_tokens: int) -> str:
        import torch

        with self._lock:
            self._load()
            inputs = self._inputs(messages)
            with torch.inference_mode():
                output = self._model.generate(**inputs, **self._generate_kwargs(max_new_tokens))
            new = output[0, inputs["input_ids"].shape[1]:]
            return str(self._tokenizer.decode(new, skip_special_tokens=True)).strip()

    def stream(self, messages: Messages, *, max_new_tokens: int) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        with self._lock:
            self._load()
            inputs = self._inputs(messages)
            streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
            errors: list[BaseException] = []
            stop = threading.Event()  # set when the reader stops reading: a draft cut short, a client gone

            class Stopped(StoppingCriteria):
                def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                    return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

            def run() -> None:
                try:
                    with torch.inference_mode():
                        self._model.generate(**inputs, **self._generate_kwargs(max_new_tokens), streamer=streamer,
                                             stopping_criteria=StoppingCriteriaList([Stopped()]))
                except BaseException as exc:  # surfaced to the caller below
                    errors.append(exc)
                    streamer.on_finalized_text("", stream_end=True)

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            try:
                yield from streamer
            finally:  # also when the reader closes this stream early: stop decoding before the lock is let go
                stop.set()
                worker.join()
            if errors:
                raise GenerationError(f"generation failed: {errors[0]}")


class OpenAIGenerator:
    """A served model behind an OpenAI-compatible /chat/completions endpoint (vLLM, llama.cpp server, TGI)."""

    def __init__(self, cfg: GenerationConfig, timeout_s: float = 120.0) -> None:
        if not cfg.endpoint:
            raise ModelLoadError("the openai backend needs generation.endpoint, e.g. http://localhost:8000/v1")
        self.cfg = cfg
        self.url = cfg.endpoint.rstrip("/") + "/chat/completions"
        self.timeout_s = timeout_s
        self.name = f"{cfg.model} @ {cfg.endpoint}"

    def _request(self, messages: Messages, max_new_tokens: int, stream: bool) -> Any:
        body = {"model": self.cfg.model, "messages": messages, "max_tokens": max_new_tokens,
                "temperature": self.cfg.temperature, "stream": stream}
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.cfg.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            return urllib.request.urlopen(request, timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise GenerationError(f"endpoint {self.url} answered HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GenerationError(f"cannot reach endpoint {self.url} ({exc}): is the server running?") from exc

    def generate(self, messages: Messages, *, max_new_tokens: int) -> str:
        with self._request(messages, max_new_tokens, stream=False) as response:
            try:
                payload = json.loads(response.read())
                return str(payload["choices"][0]["message"]["content"]).strip()
            except (ValueError, KeyError, IndexError) as exc:
                raise GenerationError(f"endpoint {self.url} sent an unexpected reply: {exc}") from exc

    def stream(self, messages: Messages, *, max_new_tokens: int) -> Iterator[str]:
        with self._request(messages, max_new_tokens, stream=True) as response:
            for raw in response:
                line = raw.decode(errors="replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                except (ValueError, KeyError, IndexError) as exc:
                    raise GenerationError(f"endpoint {self.url} sent a malformed stream chunk: {exc}") from exc
                if delta:
                    yield delta


def onnx_eligible(cfg: GenerationConfig) -> bool:
    """Whether `auto` may pick the onnx backend at all: the default model, on a CPU, with onnxruntime-genai
    installed (a GPU and other models stay with transformers)."""
    from copilot.generation.convert import engine_installed

    if cfg.model != DEFAULT_MODEL or (cfg.device or "cpu") != "cpu":
        return False
    if not engine_installed():
        logger.info("onnxruntime-genai not installed: generating with transformers (slower on CPU)")
        return False
    if cfg.device is None:
        import torch

        if torch.cuda.is_available():
            return False
    return True


def choose_backend(cfg: GenerationConfig) -> str:
    """The backend `cfg.backend` means here. `auto`, where onnx is eligible (`onnx_eligible`), is the backend
    `copilot prepare` measured faster on this machine (`copilot/generation/choice.py`); without that measurement,
    onnx on a CPU with int8 dot-product instructions (VNNI or AMX: 7.9x faster decoding and answers 3x faster at the
    median, docs/benchmarks.md) and transformers on an AVX2-only CPU, where int8 prefill was slower than fp32."""
    if cfg.backend != "auto":
        return cfg.backend
    if not onnx_eligible(cfg):
        return "transformers"
    from copilot.generation.choice import recorded_choice

    measured = recorded_choice(cfg)
    if measured is not None:
        return measured
    from index.precision import native_int8_dot

    if not native_int8_dot("cpu"):
        logger.info("no VNNI/AMX int8 instructions on this CPU and no measurement (`copilot prepare`): generating "
                    "with transformers (generation.backend: onnx forces the fast backend)")
        return "transformers"
    return "onnx"


def make_generator(cfg: GenerationConfig, model_path: Path | str | None = None,
                   adapter: Path | None = None) -> Generator:
    """The configured backend (`choose_backend`); for local ones, `model_path` is the resolved local model."""
    backend = choose_backend(cfg)
    if backend == "openai":
        return OpenAIGenerator(cfg)
    if model_path is None:
        raise ModelLoadError(f"no local files for language model {cfg.model!r}")
    if backend == "onnx":
        from copilot.generation.onnx import OnnxGenerator

        # auto falls back to transformers if the export cannot be made or loaded; an explicit onnx says why.
        fallback = HFGenerator(model_path, cfg, adapter) if cfg.backend == "auto" else None
        return OnnxGenerator(model_path, cfg, adapter, fallback=fallback)
    return HFGenerator(model_path, cfg, adapter)


class NoModel:
    """No language model: answers come from the documents' own lines (`copilot ask --no-llm`), instantly."""

    name = "none (extractive)"

    def generate(self, messages: Messages, *, max_new_tokens: int) -> str:
        return ""

    def stream(self, messages: Messages, *, max_new_tokens: int) -> Iterator[str]:
        return iter(())
