"""Where models are found with no model hub: inside installed packages, or in the local Hugging Face cache.

Shared by the embedder resolution (`index.embeddings`) and the language-model resolution (`copilot.generation.models`).
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
