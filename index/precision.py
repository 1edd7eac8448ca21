"""Compute precision for the torch models (embedder, generator, LoRA trainer): fp32, or bf16 autocast where native.

On a CPU with AVX512-BF16 or AMX-BF16 (recent Xeon and EPYC), bf16 autocast runs the matrix products at about 2.5x
the fp32 speed while layer norms, softmax and losses stay in fp32 (autocast's own op lists). Measured on this project's
2-core EPYC: MiniLM embeddings 3,900 -> 9,400-11,000 tokens/s with cosine >= 0.99996 to the fp32 vectors, and a LoRA
training step on SmolLM2-135M 2.1x faster (docs/benchmarks.md, docs/finetune.md). On a CPU without native bf16 the
same autocast is emulated and slower than fp32, so "auto" keeps fp32 there.

Precisions: "auto" (bf16 where native, else fp32), "float32" (never autocast), "bfloat16" (always, even emulated).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cache
from typing import Any

PRECISIONS = ("auto", "float32", "bfloat16")


def check_precision(precision: str) -> str:
    """Return `precision` if it is one of PRECISIONS, else raise ValueError naming the choices."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    return precision


@cache
def native_bf16(device_type: str) -> bool:
    """Whether `device_type` ("cpu" or "cuda") runs bf16 matrix products in hardware."""
    import torch

    if device_type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device_type != "cpu":
        return False
    get = getattr(getattr(torch, "cpu", None), "get_capabilities", None)
    if get is None:  # torch < 2.8: ask oneDNN instead
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    caps = get()
    return bool(caps.get("avx512_bf16") or caps.get("amx_bf16"))


def native_int8_dot(device_type: str = "cpu") -> bool:
    """Whether the CPU has int8 dot-product instructions (AVX512-VNNI, AVX-VNNI or AMX-INT8), which int8 matrix
    products need to be fast; on plain AVX2, onnxruntime's int8 prefill is slower than torch fp32
    (docs/benchmarks.md)."""
    import torch

    if device_type != "cpu":
        return False
    get = getattr(getattr(torch, "cpu", None), "get_capabilities", None)
    if get is None:  # torch < 2.8 cannot say: assume not, the safe choice
        return False
    caps = get()
    return bool(caps.get("avx512_vnni") or caps.get("avx_vnni") or caps.get("amx_int8"))


def autocast_dtype(device: str, precision: str = "auto") -> Any:
    """torch.bfloat16 when `precision` asks for (or "auto" finds native) bf16 on `device`, else None (plain fp32)."""
    import torch

    check_precision(precision)
    device_type = device.split(":")[0]
    if precision == "float32" or device_type not in ("cpu", "cuda"):
        return None
    if precision == "bfloat16" or native_bf16(device_type):
        return torch.bfloat16
    return None


@contextlib.contextmanager
def autocast(device: str, precision: str = "auto") -> Iterator[None]:
    """torch.autocast to bf16 on `device` when autocast_dtype says so; a no-op otherwise."""
    dtype = autocast_dtype(device, precision)
    if dtype is None:
        yield
        return
    import torch

    with torch.autocast(device.split(":")[0], dtype=dtype):
        yield
