"""The fast CPU backend: the merged model exported to int8 ONNX, run by onnxruntime-genai (a wheel, no compiler).

On 2 cores with VNNI it decodes SmolLM2-135M + the bundled adapter 7.9x faster than transformers fp32 and reads a
660-token prompt in 0.70 s against 1.10 s (int4 decodes faster still but changes more greedy answers;
docs/benchmarks.md, bench/bench_generation.py). Tokenisation and the chat
template stay with the transformers tokenizer saved beside the export, so prompts are token-for-token the ones
`HFGenerator` sees, and generation stops at the template's end of turn (`prompts.end_of_turn_ids`). The export is
made once by `convert.prepare_onnx` (`copilot prepare`, or here on first use).

Prompts share their beginning (the system prompt, a conversation's earlier turns): the generator of the last request
is kept, rewound to the tokens the new prompt shares with it, and only the rest is read (`PromptCache`), so the
shared part's prefill is paid once. Greedy output is the same as from a fresh generator (tests/test_onnx_backend.py).
"""

from __future__ import annotations

import json
import logging
import os
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
CACHE_TOKENS = 2048  # room of the kept generator's key/value buffer (prompt + reply); ~94 MB for SmolLM2-135M


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, as a container or `taskset` sets it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def engine_config(og: Any, folder: Path) -> Any:
    """The export's config, told to compute on every usable core.

    onnxruntime-genai left to itself ran one compute thread on this 2-core machine: reading a 660-token prompt took
    1.45 s against 0.80-0.87 s on two, and decoding ran 72 against 104 tokens/s (docs/benchmarks.md).
    """
    config = og.Config(str(folder))
    config.overlay(json.dumps({"model": {"decoder": {"session_options": {"intra_op_num_threads": usable_cores()}}}}))
    return config


class PromptCache:
    """The last request's generator and the tokens it holds, reused for the next prompt that starts the same way.

    onnxruntime-genai keeps the keys and values of every token a generator has read; `rewind_to(n)` drops all but
    the first n. A prompt sharing n tokens with the kept sequence is read from token n on. A prompt that does not fit
    the buffer (or sampling options that differ) gets a fresh generator of its own, which is then the one kept.
    """

    def __init__(self, og: Any, model: Any, context_length: int) -> None:
        self.og, self.model = og, model
        self.context_length = context_length
        self.generator: Any = None
        self.tokens: list[int] = []  # what the kept generator has read and written, in order
        self.search: dict[str, Any] = {}
        self.room = 0  # max_length of the kept generator
        self.reused = 0  # prompt tokens not read again on the last request, for benchmarks and tests

    def start(self, prompt: list[int], max_new_tokens: int, search: dict[str, Any], reuse: bool = True) -> Any:
        """A generator that has read `prompt`, ready for its first new token. Without `reuse`, a fresh one sized to
        this request alone (`generation.prompt_cache: false`)."""
        if not reuse:
            self.forget()
        room = max(min(CACHE_TOKENS, self.context_length) if reuse else 0, len(prompt) + max_new_tokens)
        shared = 0
        if self.generator is not None and search == self.search and len(prompt) + max_new_tokens <= self.room:
            shared = common_prefix(self.tokens, prompt)
            shared = min(shared, len(prompt) - 1)  # the last prompt token is always read: its logits pick the next
        if shared > 0:
            self.generator.rewind_to(shared)
        else:
            params = self.og.GeneratorParams(self.model)
            params.set_search_options(max_length=room, **search)
            self.generator, self.room, self.search = self.og.Generator(self.model, params), room, search
        self.tokens = list(prompt)
        self.reused = shared
        try:
            self.generator.append_tokens(prompt[shared:])
        except Exception:
            self.forget()
            raise
        return self.generator

    def wrote(self, token: int) -> None:
        self.tokens.append(token)

    def forget(self) -> None:
        """Drop the kept generator (after a failure its state is unknown)."""
        self.generator, self.tokens, self.search = None, [], {}


def common_prefix(a: list[int], b: list[int]) -> int:
    """How many tokens `a` and `b` share from the start."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


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
            model = og.Model(engine_config(og, folder))
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
        context = json.loads((folder / "genai_config.json").read_text())["model"].get("context_length", CACHE_TOKENS)
        self._cache = PromptCache(og, model, int(context))

    def _encode(self, messages: Messages) -> list[int]:
        encoded = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)
        return list(encoded["input_ids"])

    def _tokens(self, messages: Messages, max_new_tokens: int) -> Iterator[int]:
        """New token ids, greedy unless a temperature is set, until the end of turn or `max_new_tokens`."""
        prompt = self._encode(messages)
        search: dict[str, Any] = {"do_sample": False}
        if self.cfg.temperature > 0:
            search = {"do_sample": True, "temperature": self.cfg.temperature, "top_k": SAMPLING_TOP_K, "top_p": 1.0}
        try:
            generator = self._cache.start(prompt, max_new_tokens, search, reuse=self.cfg.prompt_cache)
            for _ in range(max_new_tokens):
                if generator.is_done():
                    return
                generator.generate_next_token()
                token = int(generator.get_next_tokens()[0])
                self._cache.wrote(token)
                if token in self._stop_ids:
                    return
                yield token
        except RuntimeError as exc:  # onnxruntime-genai reports every failure as RuntimeError
            self._cache.forget()
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
            start = done = 0  # ids[start:done] were shown already; decoding from `start` gives the next ones context
            for token in self._tokens(messages, max_new_tokens):
                ids.append(token)
                piece = self._new_text(ids, start, done)
                if piece and not piece.endswith("\ufffd"):  # not half of a multi-byte character: show it
                    yield piece
                    start, done = done, len(ids)
            piece = self._new_text(ids, start, done)
            if piece:
                yield piece

    def _new_text(self, ids: list[int], start: int, done: int) -> str:
        """The text ids[done:] add after ids[start:done]: decoding a few tokens back, not the whole reply each time
        (which grows with its length), and with enough context for tokenizers that drop a leading space."""
        before = str(self._tokenizer.decode(ids[start:done], skip_special_tokens=True))
        after = str(self._tokenizer.decode(ids[start:], skip_special_tokens=True))
        return after[len(before):] if len(after) > len(before) else ""
