"""The fast embedding backend for CPUs without native bf16: the embedder exported to ONNX, int8-quantised, run by
onnxruntime.

On an AVX2-only CPU, torch runs MiniLM in fp32 (bf16 autocast would be emulated, index.precision). onnxruntime with
dynamic int8 quantisation of the weight matrix products runs the same model faster with vectors that agree with the
fp32 ones to cosine >= 0.99 (docs/benchmarks.md, docs/retrieval.md). sentence-transformers' own `backend="onnx"`
needs optimum-onnx, whose releases pin transformers < 4.58 (and optimum-intel pulls another torch), so this module
exports with `torch.onnx.export` and quantises with `onnxruntime.quantization.quantize_dynamic` instead: onnxruntime
alone at run time.

The export is made once (`copilot prepare`, or lazily on first use with a message), into
$COPILOT_HOME/models/onnx-embed/<model>-<key>/, keyed by the embedder id, the weights' sha256, the recipe and the
onnxruntime version; never into a package folder. Quantisation is accepted only when every vector of a sample of real
manual passages agrees with torch fp32 to cosine >= AGREEMENT_MIN. The feed-forward output projections see the GELU
outputs, whose outlier activations per-tensor int8 cannot hold, so three recipes are tried in turn: the first layer's
output projection kept in fp32, every output projection kept (MiniLM needs this: minimum cosine 0.989 -> 0.994 on the
corpus sample), the whole feed-forward block kept (all-mpnet-base-v2 needs this: 0.986 -> 0.997). A model that
still does not agree, has modules other than Transformer + Pooling (+ Normalize), or fails to export, is embedded by
torch: the caller falls back with a one-line warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from index.backend import INSTALL_HINT, runtime_installed
from index.offline import VERIFIED_MARKER, models_home

logger = logging.getLogger(__name__)

RECIPE = "torch.onnx-17+ort-dynamic-u8-per-channel/3"  # bump when the export or quantisation below changes
AGREEMENT_MIN = 0.99  # cosine of every sampled vector to torch fp32's
SAMPLE_SIZE = 200  # chunks embedded by both backends for the agreement check
PREPARED = "prepared.json"  # written last: a folder without it is an unfinished export
FP32_FILE, INT8_FILE = "model.onnx", "model.int8.onnx"
REPO_CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "manuals"
# Used for the agreement check where no corpus folder is at hand (an installed wheel); real passages are better.
FALLBACK_SAMPLE = (
    "Tighten the seal gland nuts evenly to 25 N·m, then run the pump for ten minutes and check for leakage.",
    "Alarm E214: spindle bearing temperature above 75 °C. Stop the spindle and check the lubrication flow.",
    "Replace the hydraulic return filter element every 1,000 operating hours or when the indicator turns red.",
    "If the compressor trips on high discharge temperature, clean the oil cooler and check the oil level.",
    "Before opening the boiler, isolate the fuel supply, vent the steam drum and lock out the feed pump.",
    "Check the V-belt tension: a deflection of 10 mm under 25 N at mid-span.",
    "The low-water cut-off must be tested weekly by blowing down the float chamber.",
    "Vibration above 7.1 mm/s RMS on the motor end indicates misalignment or a worn coupling insert.",
)


class OnnxBackendError(Exception):
    """The ONNX backend cannot be used for this embedder; the caller embeds with torch instead."""


@dataclass(frozen=True)
class Agreement:
    """How closely one backend's vectors match another's on the same texts."""

    n: int
    min_cosine: float
    median_cosine: float

    @property
    def passed(self) -> bool:
        return self.n > 0 and self.min_cosine >= AGREEMENT_MIN


def compare(reference: np.ndarray, candidate: np.ndarray) -> Agreement:
    """Per-row cosine between two sets of vectors (normalised here, so any scale is fine)."""
    a = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    b = candidate / np.linalg.norm(candidate, axis=1, keepdims=True)
    cos = (a * b).sum(axis=1)
    if not len(cos):
        return Agreement(0, 0.0, 0.0)
    return Agreement(len(cos), float(cos.min()), float(statistics.median(cos.tolist())))


def agreement(reference: Embeddings, candidate: Embeddings, texts: Sequence[str]) -> Agreement:
    """Embed `texts` with both embedders and compare the vectors row by row."""
    return compare(np.asarray(reference.embed_documents(list(texts)), dtype=np.float32),
                   np.asarray(candidate.embed_documents(list(texts)), dtype=np.float32))


def sample_texts(folder: Path | None = None, n: int = SAMPLE_SIZE, words: int = 100) -> list[str]:
    """`n` passages of `words` words (the index's chunk size) spread evenly over the Markdown and text files in
    `folder` (default: the repository's corpus/manuals); a few built-in maintenance sentences where there are none."""
    folder = folder if folder is not None else REPO_CORPUS
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".txt")) if folder.is_dir() else []
    windows: list[str] = []
    for file in files:
        tokens = file.read_text(encoding="utf-8", errors="replace").split()
        windows += [" ".join(tokens[i:i + words]) for i in range(0, len(tokens), words)]
    if not windows:
        return list(FALLBACK_SAMPLE)
    return windows[::max(1, len(windows) // n)][:n]


def weights_sha256(model_dir: Path) -> str:
    """The content hash of the model's weight files (the hash an assembled packaged model was verified with)."""
    marker = model_dir / VERIFIED_MARKER
    if marker.is_file():  # index.embeddings.is_verified checked it against the weights when the folder was resolved
        return marker.read_text().strip()
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.iterdir() if p.suffix in (".safetensors", ".bin") and p.is_file()):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def cache_dir(model: str, model_dir: Path, home: Path | None = None) -> Path:
    """Where the export of this embedder lives (whether or not it exists yet)."""
    try:
        runtime = metadata.version("onnxruntime")
    except metadata.PackageNotFoundError:
        runtime = "absent"
    digest = hashlib.sha256(f"{RECIPE}\0{runtime}\0{model}\0{weights_sha256(model_dir)}".encode()).hexdigest()
    slug = Path(model.rstrip("/")).name or "model"
    return (home if home is not None else models_home()) / "onnx-embed" / f"{slug}-{digest[:16]}"


def read_layout(model_dir: Path) -> dict[str, Any]:
    """Pooling mode and sequence length of a sentence-transformers folder.

    Raises:
        OnnxBackendError: the model has modules other than Transformer, Pooling and Normalize, or a pooling other
            than mean, CLS or max: this backend would not reproduce its vectors.
    """
    modules_file = model_dir / "modules.json"
    if not modules_file.is_file():
        raise OnnxBackendError(f"{model_dir} is not a sentence-transformers folder (no modules.json)")
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise OnnxBackendError(f"unsupported modules {kinds} (only Transformer, Pooling, Normalize)")
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    if isinstance(pooling.get("pooling_mode"), str):  # sentence-transformers >= 6: {"pooling_mode": "mean", ...}
        modes = [f"{pooling['pooling_mode']}_token{'s' if pooling['pooling_mode'] != 'cls' else ''}"]
    else:  # earlier versions: one boolean per mode
        modes = [k.removeprefix("pooling_mode_") for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if len(modes) != 1 or modes[0] not in ("mean_tokens", "cls_token", "max_tokens"):
        raise OnnxBackendError(f"unsupported pooling {pooling} (only one of mean, cls, max)")
    dimension = pooling.get("embedding_dimension") or pooling.get("word_embedding_dimension")
    return {"pooling": modes[0], "max_seq_length": max_seq_length(model_dir), "dimension": int(dimension)}


def max_seq_length(model_dir: Path) -> int:
    """Where sentence-transformers truncates: sentence_bert_config.json (before version 6), else the tokenizer's
    model_max_length (version 6 saves it there), else the model's positions, else 512."""

    def read(name: str) -> dict[str, Any]:
        file = model_dir / name
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}

    for value in (read("sentence_bert_config.json").get("max_seq_length"),
                  read("tokenizer_config.json").get("model_max_length"),
                  read("config.json").get("max_position_embeddings")):
        if isinstance(value, int) and 0 < value < 100_000:  # tokenizers say 1e30 for "no limit"
            return value
    return 512


def export_fp32(model_dir: Path, out_dir: Path) -> list[str]:
    """Export the transformer (token embeddings out) to `out_dir/model.onnx` and save its tokenizer beside it.

    Traced on a padded batch, so the attention mask is part of the graph for every batch. Returns the input names.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    example = tokenizer(["pump seal leak at the gland", "valve"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in example]

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: Any) -> Any:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "token_embeddings"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's warnings about Python-side shape checks
        torch.onnx.export(TokenEmbeddings(), tuple(example[n] for n in names), str(out_dir / FP32_FILE),
                          input_names=names, output_names=["token_embeddings"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    tokenizer.save_pretrained(out_dir)
    return names


def torch_fp32(model_dir: Path, texts: list[str]) -> np.ndarray:
    """The reference vectors: sentence-transformers on torch, fp32, normalised (as index.embeddings loads it)."""
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(str(model_dir), device="cpu")
    return np.asarray(encoder.encode(texts, batch_size=32, normalize_embeddings=True), dtype=np.float32)


def feed_forward_projections(onnx_path: Path) -> tuple[list[str], list[str]]:
    """The feed-forward MatMul nodes, in graph order: those that widen the hidden state (inputs) and those that
    project it back (outputs, whose GELU inputs hold the outliers that per-tensor int8 quantisation loses)."""
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    shapes = {t.name: list(t.dims) for t in graph.initializer}
    weights = [(node.name, shapes[node.input[1]]) for node in graph.node
               if node.op_type == "MatMul" and len(shapes.get(node.input[1], [])) == 2]
    return [n for n, (rows, cols) in weights if cols > rows], [n for n, (rows, cols) in weights if rows > cols]


def quantize(fp32: Path, out: Path, keep_fp32: Sequence[str]) -> None:
    """Dynamic int8 quantisation of the weight matrix products: uint8 weights per output channel (signed int8
    weights saturate in AVX2's u8s8 kernels: minimum cosine 0.87 on MiniLM), nodes in `keep_fp32` left as they are."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs advice on the root logger ("consider pre-processing")
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QUInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=list(keep_fp32))
    finally:
        root.setLevel(level)


class OnnxEmbeddings(Embeddings):
    """An exported embedder behind langchain's Embeddings: tokenise, onnxruntime, pool, L2-normalise."""

    def __init__(self, folder: Path, precision: str = "int8", batch_size: int = 32) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.meta: dict[str, Any] = json.loads((folder / PREPARED).read_text(encoding="utf-8"))
        self.backend = f"onnx-{precision}"
        self.dimension = int(self.meta["dimension"])
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / (INT8_FILE if precision == "int8" else FP32_FILE)),
                                            options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad little
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            encoded = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                     max_length=self.meta["max_seq_length"], return_tensors="np")
            tokens = self.session.run(None, {n: encoded[n].astype(np.int64) for n in self.inputs})[0]
            out[rows] = pool(tokens, encoded["attention_mask"], self.meta["pooling"])
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0].tolist()

    def __repr__(self) -> str:
        return f"OnnxEmbeddings({self.meta['embedder']!r}, backend={self.backend!r})"


def pool(tokens: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Sentence vectors from token vectors, as sentence-transformers' Pooling module computes them."""
    if mode == "cls_token":
        return tokens[:, 0]
    weights = mask[..., None].astype(np.float32)
    if mode == "max_tokens":
        return np.where(weights > 0, tokens, -1e9).max(axis=1)
    return (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def prepare(model: str, model_dir: Path, home: Path | None = None, sample: Sequence[str] | None = None,
            reference: Embeddings | None = None) -> Path:
    """Export, quantise and check the embedder once; return the finished folder (at once if already there).

    `reference` (torch fp32 sentence-transformers when not given) embeds `sample` (sample_texts() when not given)
    for the agreement check. The folder records the recipe that passed and its agreement; a model that agrees under no
    recipe is recorded as refused (int8), so the check is not repeated on every start.

    Raises:
        OnnxBackendError: the runtime is missing, the model is not supported, or the export failed.
    """
    if not runtime_installed():
        raise OnnxBackendError(f"onnxruntime is not installed ({INSTALL_HINT})")
    folder = cache_dir(model, model_dir, home)
    if (folder / PREPARED).is_file():
        return folder
    layout = read_layout(model_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    print(f"preparing the ONNX int8 embedder for {model} once, into {folder} (about a minute for MiniLM, several "
          "for larger models)", file=sys.stderr, flush=True)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        try:
            inputs = export_fp32(model_dir, work)
        except Exception as exc:  # the tracer and exporter raise many types; any of them means "use torch"
            raise OnnxBackendError(f"ONNX export of {model} failed: {type(exc).__name__}: {exc}") from exc
        meta: dict[str, Any] = {"embedder": model, "source": str(model_dir), "recipe": RECIPE, "inputs": inputs,
                                **layout, "int8": None, "agreement": None}
        (work / PREPARED).write_text(json.dumps(meta), encoding="utf-8")  # OnnxEmbeddings reads it while checking
        texts = list(sample) if sample is not None else sample_texts()
        expected = (np.asarray(reference.embed_documents(texts), dtype=np.float32) if reference is not None
                    else torch_fp32(model_dir, texts))
        widen, narrow = feed_forward_projections(work / FP32_FILE)
        recipes = (("first-ffn-output-fp32", narrow[:1]), ("ffn-outputs-fp32", narrow), ("ffn-fp32", widen + narrow))
        for recipe, keep in recipes:
            quantize(work / FP32_FILE, work / INT8_FILE, keep)
            found = compare(expected, OnnxEmbeddings(work, "int8")._embed(texts))
            meta["agreement"] = {"recipe": recipe, **asdict(found), "passed": found.passed}
            meta.setdefault("attempts", []).append(meta["agreement"])
            if found.passed:
                meta["int8"] = recipe
                break
        meta["seconds"] = round(time.perf_counter() - started, 1)
        (work / PREPARED).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        if (folder / PREPARED).is_file():  # another process finished first
            return folder
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(work, folder)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return folder


def load(model: str, model_dir: Path, backend: str, batch_size: int = 32) -> OnnxEmbeddings:
    """The prepared ONNX embedder (prepared now, once, if `copilot prepare` has not done it).

    Raises:
        OnnxBackendError: as prepare(), or int8 was refused by the agreement check.
    """
    folder = prepare(model, model_dir)
    precision = backend.removeprefix("onnx-")
    meta = json.loads((folder / PREPARED).read_text(encoding="utf-8"))
    if precision == "int8" and not meta.get("int8"):
        found = meta.get("agreement") or {}
        raise OnnxBackendError(f"int8 vectors of {model} disagree with fp32 (minimum cosine "
                               f"{found.get('min_cosine', 0):.4f} < {AGREEMENT_MIN}, {folder})")
    try:
        return OnnxEmbeddings(folder, precision, batch_size)
    except Exception as exc:  # a corrupt or foreign file: onnxruntime raises its own types
        raise OnnxBackendError(f"cannot load the ONNX embedder at {folder}: {exc}") from exc


def prepare_backend(model: str, model_dir: Path, backend: str = "auto", device: str | None = None,
                    precision: str = "auto") -> str:
    """For `copilot prepare`: make the ONNX export now when `backend` picks it; one line saying what will embed.

    Never raises for the backend itself: where ONNX cannot be used, the line says torch embeds, and why.
    """
    from index.backend import choose_backend

    if device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    chosen = choose_backend(backend, device, precision)
    if chosen == "torch":
        from index.precision import autocast_dtype

        kind = "bf16 autocast" if autocast_dtype(device, precision) is not None else "fp32"
        return f"torch {kind} on {device} (index.embed_backend {backend})"
    try:
        folder = prepare(model, model_dir)
    except OnnxBackendError as exc:
        return f"torch (the ONNX backend is not available: {exc})"
    found = json.loads((folder / PREPARED).read_text(encoding="utf-8"))["agreement"] or {}
    check = (f"int8 vectors vs torch fp32 on {found.get('n', 0)} passages: minimum cosine "
             f"{found.get('min_cosine', 0):.4f}, median {found.get('median_cosine', 0):.4f}")
    if chosen == "onnx-int8" and not found.get("passed"):
        return f"torch ({check}, below {AGREEMENT_MIN}: int8 refused)"
    return f"{chosen}, {folder} ({check})"
