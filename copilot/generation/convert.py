"""Merge the LoRA adapter into the base model and convert it once for onnxruntime-genai, cached by content hash.

The fast CPU backend (`copilot.generation.onnx`) runs an int8 (or int4) ONNX export of the *merged* model: decoding
then reads far fewer bytes of weights per token than transformers' fp32 540 MB (bench/bench_generation.py). The
export lives under $COPILOT_HOME/models/onnx/<model>-<adapter>-<precision>-<key>/, where the key hashes the
adapter's bytes, the base model's config and weight files, the precision and the engine's version: a retrained
adapter gets a new folder and is converted again; an unchanged one is reused. `copilot prepare` calls
`prepare_onnx`; the backend calls it on first use.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from types import ModuleType

from copilot.config import copilot_home
from copilot.errors import ModelLoadError

logger = logging.getLogger(__name__)

RECIPE = "merge+ortgenai-builder+last-logits+int8-block128/3"  # bump when the conversion below changes what it writes
PRECISIONS = ("int4", "int8", "fp32")
# Weights per quantisation scale. int8 over 128 weights instead of the builder's 32: a 660-token prompt is read 11%
# faster and decoded 14% faster, with the same `copilot eval qa` figures (15 of 20 replies identical to transformers
# fp32 against 17 at 32: docs/benchmarks.md); int4 keeps 32.
BLOCK_SIZE = {"int8": 128}
INSTALL_HINT = ("pip install 'onnxruntime-genai>=0.18' 'onnx>=1.17' 'onnx-ir>=0.1' (or re-run `make install`), "
                "or set generation.backend: transformers")
MANIFEST = "prepared.json"
TOKENIZER_DIR = "tokenizer"  # the transformers tokenizer, saved beside the export: the same chat template and ids


def import_engine() -> ModuleType:
    """The onnxruntime_genai module.

    Raises:
        ModelLoadError: the engine is not installed, with the command that installs it.
    """
    try:
        return importlib.import_module("onnxruntime_genai")
    except ImportError as exc:
        raise ModelLoadError(f"the onnx generation backend needs onnxruntime-genai, which is not installed ({exc}): "
                             f"{INSTALL_HINT}") from exc


def engine_installed() -> bool:
    """Whether onnxruntime-genai can be imported (checked without importing it)."""
    return importlib.util.find_spec("onnxruntime_genai") is not None


def _weight_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".safetensors", ".bin"))


def cache_key(model: str, model_path: Path | str, adapter: Path | None, precision: str) -> str:
    """16 hex digits naming one export: adapter bytes, base config and weight files, precision, engine version.

    The adapter is hashed by content (a few MB). The base weights (hundreds of MB) are keyed by name, size and
    modification time, and their config.json by content; a changed base therefore also re-converts.
    """
    digest = hashlib.sha256()
    try:
        engine = metadata.version("onnxruntime-genai")
    except metadata.PackageNotFoundError:
        engine = "absent"
    digest.update(f"{RECIPE}\0{engine}\0{model}\0{precision}\0".encode())
    base = Path(model_path)
    if base.is_dir():
        for path in sorted(base.glob("*.json")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        for path in _weight_files(base):
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    else:
        digest.update(str(model_path).encode())
    if adapter is not None:
        for path in [adapter / "adapter_config.json", *_weight_files(adapter)]:
            digest.update(path.name.encode() + b"\0")
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def onnx_cache_dir(model: str, model_path: Path | str, adapter: Path | None, precision: str,
                   home: Path | None = None) -> Path:
    """Where the export for this model + adapter + precision lives (whether or not it exists yet)."""
    slug = Path(model.rstrip("/")).name or "model"
    tag = adapter.name if adapter is not None else "base"
    key = cache_key(model, model_path, adapter, precision)
    return (home or copilot_home()) / "models" / "onnx" / f"{slug}-{tag}-{precision}-{key}"


def is_prepared(folder: Path) -> bool:
    """A finished export: written last, so a half-done conversion is never mistaken for one."""
    return (folder / MANIFEST).is_file() and (folder / "genai_config.json").is_file()


def merge_adapter(model_path: Path | str, adapter: Path | None, out_dir: Path) -> None:
    """Save the base model with the LoRA adapter merged into its weights (fp32) and its tokenizer to `out_dir`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_path)
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load language model from {model_path}: {exc}") from exc
    if adapter is not None:
        try:
            from peft import PeftModel
        except ImportError as exc:
            raise ModelLoadError("merging the LoRA adapter needs peft: pip install 'maintenance-copilot[finetune]', "
                                 "or run with --no-adapter") from exc
        try:
            model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"cannot merge LoRA adapter {adapter}: {exc}") from exc
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _build(merged: Path, out_dir: Path, precision: str, cache: Path) -> None:
    """Run onnxruntime-genai's model builder in a child process (it prints a lot; we keep its tail for errors)."""
    command = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", str(merged), "-o", str(out_dir),
               "-p", precision, "-e", "cpu", "-c", str(cache)]
    if precision in BLOCK_SIZE:
        command += ["--extra_options", f"block_size={BLOCK_SIZE[precision]}"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0 or not (out_dir / "genai_config.json").is_file():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
        missing = "No module named" in tail
        hint = INSTALL_HINT if missing else ("the model's architecture may not be supported by onnxruntime-genai's "
                                             "builder; set generation.backend: transformers")
        raise ModelLoadError(f"converting {merged.name} to ONNX ({precision}) failed (exit {done.returncode}):\n"
                             f"{tail}\nWhat to do: {hint}")


def last_position_logits(model_file: Path) -> bool:
    """Make the exported graph compute the output head on the prompt's last position only; True if it did.

    The builder's graph projects every prompt position onto the 49k-word vocabulary, and generation reads only the
    last: for a 660-token prompt that is a fifth of the prefill's arithmetic spent on logits never read
    (transformers skips it with `logits_to_keep=1`). The head now reads a Slice of the last hidden state. Its one
    row is broadcast back to the `logits` shape onnxruntime-genai allocates (batch, sequence, vocabulary), so the
    engine sees the same output and greedy tokens are unchanged (tests/test_onnx_backend.py); broadcasting a row costs
    a copy, not a matrix product. The weights, stored beside the graph, are not read or rewritten.
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(model_file), load_external_data=False)
    graph = model.graph
    output = next((o for o in graph.output if o.name == "logits"), None)
    head = next((n for n in graph.node if "logits" in n.output), None)
    dims = [d.dim_value for d in output.type.tensor_type.shape.dim] if output is not None else []
    if head is None or len(dims) != 3 or dims[2] <= 0 or any(n.name == "/model/last_position" for n in graph.node):
        return False
    hidden = head.input[0]
    graph.initializer.extend([numpy_helper.from_array(np.array(v, np.int64), name) for name, v in
                              (("last_position_start", [-1]), ("last_position_end", [2**62]),
                               ("last_position_axis", [1]), ("last_position_vocab", [dims[2]]))])
    take_last = helper.make_node("Slice", [hidden, "last_position_start", "last_position_end", "last_position_axis"],
                                 ["last_position_hidden"], name="/model/last_position")
    head.input[0] = "last_position_hidden"
    head.output[list(head.output).index("logits")] = "last_position_logits"
    batch_sequence = helper.make_node("Shape", [hidden], ["last_position_bs"], start=0, end=2,
                                      name="/model/last_position_shape")
    shape = helper.make_node("Concat", ["last_position_bs", "last_position_vocab"], ["last_position_logits_shape"],
                             axis=0, name="/model/last_position_logits_shape")
    broadcast = helper.make_node("Expand", ["last_position_logits", "last_position_logits_shape"], ["logits"],
                                 name="/model/last_position_broadcast")
    graph.node.insert(list(graph.node).index(head), take_last)
    graph.node.extend([batch_sequence, shape, broadcast])
    onnx.save(model, str(model_file))
    return True


def prepare_onnx(model: str, model_path: Path | str, adapter: Path | None, precision: str = "int8",
                 home: Path | None = None) -> Path:
    """The onnxruntime-genai export of `model` (+ `adapter` merged), converted now unless already cached.

    Raises:
        ModelLoadError: the engine is missing, the model or adapter cannot be loaded, or the conversion failed;
            the message says what to do.
    """
    if precision not in PRECISIONS:
        raise ModelLoadError(f"onnx precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    out_dir = onnx_cache_dir(model, model_path, adapter, precision, home)
    if is_prepared(out_dir):
        return out_dir
    import_engine()
    for module in ("onnx", "onnx_ir"):  # the builder's own imports, which the runtime wheel does not pull in
        if importlib.util.find_spec(module) is None:
            raise ModelLoadError(f"converting to ONNX needs the {module} package, which is not installed: "
                                 f"{INSTALL_HINT}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    logger.info("converting %s%s to ONNX %s in %s (one time, about a minute)", model,
                f" + {adapter.name}" if adapter else "", precision, out_dir)
    with tempfile.TemporaryDirectory(prefix=out_dir.name + ".tmp-", dir=out_dir.parent) as tmp:
        merged, built = Path(tmp) / "merged", Path(tmp) / "onnx"
        merge_adapter(model_path, adapter, merged)
        _build(merged, built, precision, Path(tmp) / "cache")
        if not last_position_logits(built / "model.onnx"):
            logger.warning("the exported graph has no (batch, sequence, vocabulary) logits output to trim; left as "
                           "built (prefill computes logits for every prompt position)")
        shutil.copytree(merged, built / TOKENIZER_DIR, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
        manifest = {"model": model, "model_path": str(model_path), "adapter": str(adapter) if adapter else None,
                    "precision": precision, "key": out_dir.name.rsplit("-", 1)[-1], "recipe": RECIPE,
                    "engine": metadata.version("onnxruntime-genai")}
        (built / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        shutil.rmtree(out_dir, ignore_errors=True)  # a half-written folder from a killed run
        try:
            os.replace(built, out_dir)
        except OSError:
            if not is_prepared(out_dir):  # another process finished first: use its export
                raise
    prune_superseded(out_dir)
    return out_dir


def prune_superseded(export: Path) -> list[Path]:
    """Delete the exports `export` replaces: the same model, adapter name and precision under an older key (a
    retrained adapter, an upgraded engine or recipe), each about 260 MB at int8. Returns what was deleted.

    A process still running an old export keeps it readable (its files stay open); on a system that refuses to
    delete open files, the folder is left for the next conversion to remove.
    """
    stem = export.name.rsplit("-", 1)[0] + "-"
    removed = []
    for sibling in export.parent.iterdir():
        if sibling == export or not sibling.is_dir() or not sibling.name.startswith(stem):
            continue
        if sibling.name[len(stem):].isalnum() and is_prepared(sibling):
            shutil.rmtree(sibling, ignore_errors=True)
            if not sibling.exists():
                removed.append(sibling)
                logger.info("removed %s, superseded by %s", sibling.name, export.name)
    return removed
