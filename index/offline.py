"""Where models are found with no model hub: inside installed packages, in the local Hugging Face cache, or under
$COPILOT_HOME/models (assembled or exported there by `copilot prepare`).

Shared by the embedder resolution (`index.embeddings`), its ONNX exports (`index.onnx_embed`) and the language-model
resolution (`copilot.generation.models`).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def package_dir(name: str) -> Path | None:
    """The folder of an installed package, found without importing it (some packages' __init__ import extras)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def hf_cache_snapshot(model: str, looked: list[str]) -> Path | None:
    """The model's snapshot in the local Hugging Face cache, or None (noting where it looked in `looked`)."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=True))
    except Exception:  # huggingface_hub raises several types for "not in cache"
        looked.append(f"the Hugging Face cache ({os.environ.get('HF_HOME', '~/.cache/huggingface')})")
        return None


VERIFIED_MARKER = ".verified-sha256"  # written into an assembled folder after its weights' hash matched


def models_home() -> Path:
    """$COPILOT_HOME/models (the same default as copilot.config.copilot_home; `index` imports nothing from copilot)."""
    return Path(os.environ.get("COPILOT_HOME", "~/.cache/maintenance-copilot")).expanduser() / "models"
