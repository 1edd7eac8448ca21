"""The ONNX embedding backend: export, int8 agreement with torch, cache key, automatic choice, falling back to torch,
and the backend recorded in the index manifest."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from index import IndexConfig, backend, build_index, layout, onnx_embed, sync_index
from index.embeddings import embedder_backend, make_embedder
from index.manifest import Manifest
from index.onnx_embed import OnnxBackendError, OnnxEmbeddings, compare
from tests.conftest import DATA
from tests.fakes import HashingEmbedder, tiny_sentence_model

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = [line for p in sorted(DATA.iterdir()) if p.is_file()
         for line in p.read_text(encoding="utf-8").splitlines() if len(line.split()) > 3][:40]


@pytest.fixture
def tiny_st(tmp_path: Path, tiny_tokenizer) -> Path:  # type: ignore[no-untyped-def]
    return tiny_sentence_model(tmp_path / "tiny", tiny_tokenizer)


def torch_vectors(model: Path, texts: list[str]) -> np.ndarray:
    reference = make_embedder(str(model), 8, "cpu", "float32", "torch")
    return np.asarray(reference.embed_documents(texts), dtype=np.float32)


def test_the_export_reproduces_torch_and_int8_is_checked_against_it(tiny_st: Path, tmp_path: Path) -> None:
    folder = onnx_embed.prepare("tiny", tiny_st, home=tmp_path / "models", sample=TEXTS)
    assert folder.parent == tmp_path / "models" / "onnx-embed" and not str(folder).startswith(str(tiny_st))
    meta = json.loads((folder / onnx_embed.PREPARED).read_text())
    assert meta["pooling"] == "mean_tokens" and meta["dimension"] == 32 and meta["agreement"]["n"] == len(TEXTS)
    expected = torch_vectors(tiny_st, TEXTS)
    fp32 = OnnxEmbeddings(folder, "fp32", batch_size=7)  # batches of mixed lengths: padding is masked
    assert compare(expected, np.asarray(fp32.embed_documents(TEXTS))).min_cosine > 0.99999
    assert np.allclose(fp32.embed_query(TEXTS[3]), expected[3], atol=1e-5)  # a batch of one, no padding
    int8 = compare(expected, OnnxEmbeddings(folder, "int8").embed_documents(TEXTS))  # type: ignore[arg-type]
    assert int8.min_cosine == pytest.approx(meta["agreement"]["min_cosine"], abs=1e-5)
    assert meta["int8"] == (meta["agreement"]["recipe"] if int8.passed else None)
    assert onnx_embed.prepare("tiny", tiny_st, home=tmp_path / "models") == folder  # made once


def test_the_cache_key_follows_the_weights_bytes(tiny_st: Path, tmp_path: Path) -> None:
    before = onnx_embed.cache_dir("tiny", tiny_st, tmp_path)
    assert onnx_embed.cache_dir("tiny", tiny_st, tmp_path) == before
    assert onnx_embed.cache_dir("other", tiny_st, tmp_path) != before
    weights = tiny_st / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert onnx_embed.cache_dir("tiny", tiny_st, tmp_path) != before


def test_auto_picks_onnx_int8_only_on_a_cpu_without_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("index.precision.native_bf16", lambda device: False)
    assert backend.choose_backend("auto", "cpu") == "onnx-int8"
    assert backend.choose_backend("auto", "cuda") == "torch"
    assert backend.choose_backend("auto", "cpu", "float32") == "torch"  # an explicit fp32 request is honoured
    assert backend.choose_backend("torch", "cpu") == "torch"
    monkeypatch.setattr("index.precision.native_bf16", lambda device: True)
    assert backend.choose_backend("auto", "cpu") == "torch"  # bf16 autocast is faster there
    assert backend.choose_backend("onnx-int8", "cpu") == "onnx-int8"
    with pytest.raises(ValueError, match="embed_backend must be one of"):
        IndexConfig(embed_backend="openvino")


def test_a_missing_runtime_falls_back_to_torch_with_one_warning(
        tiny_st: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr("index.precision.native_bf16", lambda device: False)
    monkeypatch.setattr(backend, "runtime_installed", lambda: False)
    monkeypatch.setattr(onnx_embed, "runtime_installed", lambda: False)
    with caplog.at_level(logging.WARNING):
        assert make_embedder(str(tiny_st), device="cpu").__class__.__name__ == "HuggingFaceEmbeddings"
        assert make_embedder(str(tiny_st), device="cpu", backend="onnx-int8").__class__.__name__ == \
            "HuggingFaceEmbeddings"
    assert len(caplog.records) == 2 and all("pip install" in r.getMessage() for r in caplog.records)


def test_int8_that_disagrees_is_refused_once_and_torch_embeds(
        tiny_st: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(onnx_embed, "AGREEMENT_MIN", 1.01)  # no int8 vector can agree this well
    monkeypatch.setattr(onnx_embed, "sample_texts", lambda: TEXTS)
    with caplog.at_level(logging.WARNING):
        embedder = make_embedder(str(tiny_st), device="cpu", backend="onnx-int8")
    assert embedder_backend(embedder) in ("torch", "torch-bf16")  # bf16 autocast where the CPU has it natively
    assert "disagree with fp32" in caplog.text and len(caplog.records) == 1
    meta = json.loads(next(Path(tiny_st.parents[1] / "home" / "models" / "onnx-embed").glob("*/prepared.json"))
                      .read_text())
    assert meta["int8"] is None and [a["recipe"] for a in meta["attempts"]] == [
        "first-ffn-output-fp32", "ffn-outputs-fp32", "ffn-fp32"]  # every recipe was tried
    monkeypatch.setattr(onnx_embed, "export_fp32", None)  # the refusal is remembered: no second export
    with pytest.raises(OnnxBackendError, match="disagree"):
        onnx_embed.load(str(tiny_st), tiny_st, "onnx-int8")
    assert onnx_embed.load(str(tiny_st), tiny_st, "onnx-fp32").backend == "onnx-fp32"


def test_models_this_backend_cannot_reproduce_are_refused(tiny_st: Path) -> None:
    modules = json.loads((tiny_st / "modules.json").read_text())
    (tiny_st / "modules.json").write_text(json.dumps(
        [*modules, {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"}]))
    with pytest.raises(OnnxBackendError, match="unsupported modules"):
        onnx_embed.read_layout(tiny_st)


class Int8Embedder(HashingEmbedder):
    backend = "onnx-int8"


def test_the_manifest_records_the_backend_and_queries_by_another_are_not_refused(
        tiny_corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    build_index([tiny_corpus], index_dir, lambda: Int8Embedder(64), IndexConfig())
    assert Manifest.load(layout.live_generation(index_dir)).embed_backend == "onnx-int8"
    (tiny_corpus / "new.md").write_text("# Belt\n\nCheck the V-belt tension every 500 hours of running.\n")
    sync_index([tiny_corpus], index_dir, lambda: HashingEmbedder(64), IndexConfig())  # torch-side vectors added
    manifest = Manifest.load(layout.live_generation(index_dir))
    assert manifest.embed_backend == "onnx-int8+HashingEmbedder"
    manifest.check_embedder(IndexConfig().embedder, index_dir)  # only the embedder itself must match
    assert Manifest(embedder="e", dimension=1, chunking={}).backends_after("torch", 0) == "unknown"


@pytest.mark.slow
def test_minilm_int8_agrees_with_torch_fp32_on_200_corpus_passages(tmp_path: Path) -> None:
    from index.embeddings import DEFAULT_EMBEDDER, resolve_embedder

    texts = onnx_embed.sample_texts()
    assert len(texts) == onnx_embed.SAMPLE_SIZE
    folder = onnx_embed.prepare(DEFAULT_EMBEDDER, resolve_embedder(DEFAULT_EMBEDDER), home=tmp_path, sample=texts)
    meta = json.loads((folder / onnx_embed.PREPARED).read_text())
    assert meta["int8"] and meta["agreement"]["passed"]
    found = compare(torch_vectors(resolve_embedder(DEFAULT_EMBEDDER), texts),
                    np.asarray(OnnxEmbeddings(folder, "int8").embed_documents(texts)))
    assert found.n == 200 and found.min_cosine >= 0.99
