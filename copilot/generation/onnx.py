"""The fast CPU backend: the merged model exported to int8 ONNX, run by onnxruntime-genai (a wheel, no compiler).

On 2 AVX2 cores it decodes SmolLM2-135M + the bundled adapter about 3.5x faster than transformers fp32 (int4: ~5x,
but it changes most greedy answers; docs/benchmarks.md, bench/bench_generation.py). Tokenisation and the chat
template stay with the transformers tokenizer saved beside the export, so prompts are token-for-token the ones
`HFGenerator` sees, and generation stops at the template's end of turn (`prompts.end_of_turn_ids`). The export is
made once by `convert.prepare_onnx` (`copilot prepare`, or here on first use).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from copilot.config import GenerationConfig
from copilot.errors import GenerationError, ModelLoadError
from copilot.generation.convert import TOKENIZER_DIR, import_engine, prepare_onnx
from copilot.generation.prompts import end_of_turn_ids

logger = logging.getLogger(__name__)

Messages = list[dict[str, str]]
SAMPLING_TOP_K = 50  # transformers' default when sampling (temperature > 0), so both backends sample alike


class OnnxGenerator:
    """onnxruntime-genai over the cached export of `model_path` (+ `adapter` merged); lazy: loads on first use.

    With `fallback` (the `auto` backend), a failure to convert or load logs a warning and hands every request to
    the fallback generator instead, so a broken engine install never leaves the copilot without a model.
    """

    def __init__(self, model_path: Path | str, cfg: GenerationConfig, adapter: Path | None = None,
                 fallback: Any = None, home: Path | None = None) -> None:
        self.model_path = model_path
        self.cfg = cfg
        self.adapter = adapter
        self.fallback = fallback
        self.home = home
        self.name = f"{cfg.model}" + (f" + {adapter.name}" if adapter else "") + f" (onnx {cfg.onnx_precision})"
        self._model: Any = None
        self._tokenizer: Any = None
        self._delegate: Any = None
        self._lock = threading.Lock()  # one generation at a time: onnxruntime already uses every core

    def _load(self) -> None:
        if self._model is not None or self._delegate is not None:
            return
        try:
            og = import_engine()
            folder = prepare_onnx(self.cfg.model, self.model_path, self.adapter, self.cfg.onnx_precision, self.home)
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(folder / TOKENIZER_DIR)
            model = og.Model(og.Config(str(folder)))
        except (ModelLoadError, OSError, RuntimeError, ValueError) as exc:
            if self.fallback is None:
                if isinstance(exc, ModelLoadError):
                    raise
                raise ModelLoadError(f"cannot load the ONNX export of {self.cfg.model}: {exc}; delete it under "
                                     "$COPILOT_HOME/models/onnx/ and run `copilot prepare` again, or set "
                                     "generation.backend: transformers") from exc
            logger.warning("fast onnx backend unavailable, using transformers instead: %s", exc)
            self._delegate = self.fallback
            self.name = getattr(self.fallback, "name", self.name)
            return
        self._og, self._model, self._tokenizer = og, model, tokenizer
        self._stop_ids = set(end_of_turn_ids(tokenizer))

    def _encode(self, messages: Messages) -> list[int]:
        encoded = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)
        return list(encoded["input_ids"])

    def _tokens(self, messages: Messages, max_new_tokens: int) -> Iterator[int]:
        """New token ids, greedy unless a temperature is set, until the end of turn or `max_new_tokens`."""
        prompt = self._encode(messages)
        params = self._og.GeneratorParams(self._model)
        search: dict[str, Any] = {"max_length": len(prompt) + max_new_tokens}
        if self.cfg.temperature > 0:
            search.update(do_sample=True, temperature=self.cfg.temperature, top_k=SAMPLING_TOP_K, top_p=1.0)
        else:
            search.update(do_sample=False)
        try:
            params.set_search_options(**search)
            generator = self._og.Generator(self._model, params)
            generator.append_tokens(prompt)
            while not generator.is_done():
                generator.generate_next_token()
                token = int(generator.get_next_tokens()[0])
                if token in self._stop_ids:
                    return
                yield token
        except RuntimeError as exc:  # onnxruntime-genai reports every failure as RuntimeError
            raise GenerationError(f"onnx generation failed ({len(prompt)} prompt tokens): {exc}") from exc

    def count_tokens(self, messages: Messages) -> int:
        """Prompt length in tokens, as the model sees it."""
        self._load()
        if self._delegate is not None:
            return int(self._delegate.count_tokens(messages))
        return len(self._encode(messages))

    def generate(self, messages: Messages, *, max_new_tokens: int) -> str:
        with self._lock:
            self._load()
            if self._delegate is not None:
                return str(self._delegate.generate(messages, max_new_tokens=max_new_tokens))
            ids = list(self._tokens(messages, max_new_tokens))
            return str(self._tokenizer.decode(ids, skip_special_tokens=True)).strip()

    def stream(self, messages: Messages, *, max_new_tokens: int) -> Iterator[str]:
        with self._lock:
            self._load()
            if self._delegate is not None:
                yield from self._delegate.stream(messages, max_new_tokens=max_new_tokens)
                return
            ids: list[int] = []
            shown = 0
            for token in self._tokens(messages, max_new_tokens):
                ids.append(token)
                text = str(self._tokenizer.decode(ids, skip_special_tokens=True))
                if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
                    continue
                if len(text) > shown:
                    yield text[shown:]
                    shown = len(text)
            text = str(self._tokenizer.decode(ids, skip_special_tokens=True))
            if len(text) > shown:
                yield text[shown:]
