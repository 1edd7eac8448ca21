"""Which local backend answers faster on this machine: measured once by `copilot prepare`, remembered, used by `auto`.

Without a measurement, `generation.backend: auto` goes by the CPU's instructions (onnx int8 where VNNI or AMX makes
int8 matrix products fast, transformers elsewhere: `backends.choose_backend`). That rule was drawn from two
machines. `copilot prepare` replaces it with a measurement on the machine itself: both backends read the same
RAG-sized prompt (about 780 tokens) and write up to 48 tokens (medians of 3 after a warm-up); the one with the shorter
time for a typical 40-token reply (reading + 40 x time per token) is written to
$COPILOT_HOME/models/backend_choice.json. The record is keyed by everything that changes the answer: the CPU
(model name, instruction sets, usable cores), the model, adapter and precision, and the engines' versions; a record
for another key is ignored, so a moved home directory or an upgrade falls back to the rule until the next prepare.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from copilot.config import GenerationConfig, copilot_home
from copilot.generation import prompts
from copilot.generation.onnx import usable_cores
from copilot.records import Passage

logger = logging.getLogger(__name__)

CHOICE_FILE = "backend_choice.json"
TYPICAL_REPLY = 40  # tokens: a 1-3 sentence cited answer (generation.max_new_tokens is 100)
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8", "amx_bf16")
CALIBRATION_PASSAGE = (
    "Before any work on the pump, lock out the motor starter, close the suction and discharge valves and drain the "
    "casing through the drain plug; residual pressure can eject the seal when the gland nuts are loosened. Remove the "
    "coupling spacer and the bearing frame bolts, then withdraw the rotating assembly with the back pull-out lifting "
    "lug. Check the shaft run-out at the seal seat with a dial indicator: more than 0.05 mm total indicated reading "
    "means a bent shaft or worn bearings. Fit the new cartridge seal with its setting clips in place, tighten the "
    "gland nuts evenly to 25 N·m in two stages, and remove the setting clips before the first start. Realign the "
    "coupling to 0.05 mm parallel and 0.05 mm/100 mm angular offset, refill the bearing frame to the sight glass "
    "with ISO VG 68 oil, and run the pump for two hours watching the seal: more than 5 drops per minute is a leak."
)


def cpu_signature() -> str:
    """The CPU as the choice depends on it: its model name, the matrix instruction sets it has, the usable cores."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name") and ":" in line:
                name = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and ":" in line:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return f"{name} | {' '.join(f for f in FLAGS if f in flags) or '-'} | {usable_cores()} cores"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def choice_key(cfg: GenerationConfig) -> str:
    """What a recorded choice holds for: the CPU, model, adapter, precision and engine versions."""
    return " | ".join([cpu_signature(), cfg.model, str(cfg.adapter), cfg.onnx_precision,
                       f"torch {_version('torch')}", f"transformers {_version('transformers')}",
                       f"onnxruntime-genai {_version('onnxruntime-genai')}"])


def choice_path(home: Path | None = None) -> Path:
    return (home or copilot_home()) / "models" / CHOICE_FILE


def recorded_choice(cfg: GenerationConfig, home: Path | None = None) -> str | None:
    """The backend measured fastest for this configuration on this machine, or None when none was measured."""
    path = choice_path(home)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != choice_key(cfg):
        return None
    choice = record.get("choice")
    return choice if choice in ("onnx", "transformers") else None


def calibration_messages() -> list[dict[str, str]]:
    """A grounded-answer prompt of about 780 tokens, as the answer routes build it, that the bundled model answers at
    length (about 40 tokens) rather than declining, so that both the reading and the writing are timed."""
    passages = [Passage(n=n, chunk_id=f"calibration#{n}", text=CALIBRATION_PASSAGE, source="calibration.md",
                        path="calibration.md", page=n, section=f"6.{n} Seal replacement", score=0.5)
                for n in range(1, 4)]
    return prompts.qa_messages("What do I check after fitting the new seal, and what leakage is too much?", passages,
                               600)


def reply_tokens(generator: Any, reply: str) -> int:
    """How many tokens `reply` is in the generator's own tokenizer (by words for a backend that cannot count)."""
    count = getattr(generator, "count_tokens", None)
    if count is None:
        return len(reply.split())
    return max(0, int(count([{"role": "user", "content": reply}])) - int(count([{"role": "user", "content": ""}])))


def time_answers(generator: Any, messages: list[dict[str, str]], reps: int = 3, new_tokens: int = 48) -> dict[str, Any]:
    """How fast `generator` answers `messages`: the prompt's reading (a 1-token reply) and the time per further token,
    medians of `reps` after a warm-up, combined into the time of a typical reply of TYPICAL_REPLY tokens. Two
    backends can write replies of different lengths to the same prompt (a model that declines stops early), so the
    answers are compared per token, not by their own lengths."""
    generator.generate(messages, max_new_tokens=4)
    prefill, whole = [], []
    reply = ""
    for _ in range(reps):
        started = time.perf_counter()
        generator.generate(messages, max_new_tokens=1)
        prefill.append(time.perf_counter() - started)
        started = time.perf_counter()
        reply = generator.generate(messages, max_new_tokens=new_tokens)
        whole.append(time.perf_counter() - started)
    read, total, tokens = statistics.median(prefill), statistics.median(whole), reply_tokens(generator, reply)
    per_token = max(0.0, total - read) / (tokens - 1) if tokens > 1 else None
    answer = read + TYPICAL_REPLY * per_token if per_token is not None else total
    return {"answer_s": round(answer, 3), "prefill_s": round(read, 3), "reply_tokens": tokens,
            "per_token_s": round(per_token, 4) if per_token is not None else None}


def calibrate(cfg: GenerationConfig, makers: Mapping[str, Callable[[], Any]], home: Path | None = None,
              reps: int = 3) -> dict[str, Any]:
    """Time each backend `makers` builds on the calibration prompt, record the fastest for `cfg`, return the record."""
    messages = calibration_messages()
    timings = {name: time_answers(make(), messages, reps) for name, make in makers.items()}
    seconds = {name: timing["answer_s"] for name, timing in timings.items()}
    record = {"key": choice_key(cfg), "choice": min(seconds, key=lambda name: seconds[name]), "answer_s": seconds,
              "timings": timings, "prompt": f"calibration_messages(), a {TYPICAL_REPLY}-token reply, medians of {reps}",
              "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path = choice_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    logger.info("backend on this machine: %s (%s)", record["choice"], seconds)
    return record
