"""Compute precision (index.precision): the choices, what "auto" and the forced modes pick, and bf16 embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from index import IndexConfig
from index.embeddings import make_embedder
from index.precision import autocast, autocast_dtype, check_precision, native_bf16


def test_check_precision_names_the_choices() -> None:
    assert check_precision("auto") == "auto"
    with pytest.raises(ValueError, match="auto, float32, bfloat16"):
        check_precision("fp16")
    with pytest.raises(ValueError, match="embed_precision|precision"):
        IndexConfig(embed_precision="half")


def test_forced_precisions_and_auto_follow_the_hardware() -> None:
    assert autocast_dtype("cpu", "float32") is None
    assert autocast_dtype("cpu", "bfloat16") is torch.bfloat16
    assert autocast_dtype("cpu", "auto") is (torch.bfloat16 if native_bf16("cpu") else None)
    assert autocast_dtype("mps", "bfloat16") is None  # autocast is only used on cpu and cuda


def test_autocast_runs_matrix_products_in_bf16_only_when_asked() -> None:
    a = torch.randn(4, 8)
    with autocast("cpu", "bfloat16"):
        assert (a @ a.T).dtype is torch.bfloat16
    with autocast("cpu", "float32"):
        assert (a @ a.T).dtype is torch.float32


def test_bf16_embeddings_match_fp32_and_keep_the_model_reachable() -> None:
    texts = ["Tighten the seal gland nuts to 25 N·m.", "Replace the drive belts as a set.", "bearing overheating"]
    plain = make_embedder(device="cpu", precision="float32")
    bf16 = make_embedder(device="cpu", precision="bfloat16")
    assert type(plain).__name__ == "HuggingFaceEmbeddings"
    assert bf16._client.tokenizer is not None  # bench and the dimension probe read the wrapped model
    a, b = np.array(plain.embed_documents(texts)), np.array(bf16.embed_documents(texts))
    assert a.shape == b.shape == (3, 384)
    assert (a * b).sum(axis=1).min() > 0.999
    assert float(np.dot(plain.embed_query(texts[0]), bf16.embed_query(texts[0]))) > 0.999
