"""Which backend computes the embeddings: torch, or onnxruntime (index/onnx_embed.py), chosen like the bf16 path.

`auto` follows the hardware: on a CPU with native bf16, torch under bf16 autocast (index.precision) is fastest; on a
CPU without it (AVX2 only), bf16 would be emulated, and onnxruntime with int8 weights is faster than torch fp32
(1.19x measured on 2 shared AVX2 cores; queries several times faster) with vectors within cosine 0.99 of it
(docs/benchmarks.md); on CUDA, torch. Kept apart from onnx_embed so that
reading a config does not import numpy or langchain.
"""

from __future__ import annotations

import importlib.util
import logging

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnx-int8", "onnx-fp32")
INSTALL_HINT = "pip install 'maintenance-copilot[fast]' (onnxruntime, onnx), or set index.embed_backend: torch"


def check_backend(backend: str) -> str:
    """Return `backend` if it is one of BACKENDS, else raise ValueError naming the choices."""
    if backend not in BACKENDS:
        raise ValueError(f"embed_backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    return backend


def runtime_installed() -> bool:
    """Whether onnxruntime and onnx can be imported (checked without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def choose_backend(backend: str, device: str, precision: str = "auto") -> str:
    """The backend that embeds: `auto` is onnx-int8 on a CPU without native bf16 (when onnxruntime is installed and
    precision is left at auto), torch with bf16 autocast on a CPU that has it natively, torch on CUDA."""
    from index.precision import native_bf16

    check_backend(backend)
    if backend != "auto":
        return backend
    if device.split(":")[0] != "cpu" or precision != "auto" or native_bf16("cpu"):
        return "torch"
    if not runtime_installed():
        logger.warning("onnxruntime is not installed: embedding with torch fp32 (%s)", INSTALL_HINT)
        return "torch"
    return "onnx-int8"
