"""The symptom encoder: the index's embedder with a LoRA adapter that puts a technician's account of a symptom near
the troubleshooting row that explains it, and away from the neighbouring faults of the same machine.

MiniLM puts "P-102 sounds like marbles going thru it" nearer the rows that share its words than "Crackling noise, low
suction pressure, erratic flow | Cavitation", and it cannot tell "the same fault in other words" from "a neighbouring
fault of the same machine", so symptoms that nothing explains score as high as explained ones
(docs/troubleshooting.md, "The symptom encoder"). The adapter tunes only the question's side: the rows keep the
vectors the index stored for them, so no index is rebuilt and any document indexed with the same embedder benefits.
It was trained (finetune/symptoms.py) on finetune/datasets/symptom_questions.jsonl: questions in a technician's words
over the corpus's rows, and symptoms of the same machines that no row explains, written by writers who saw only the
rows. The troubleshoot route mixes its cosine with the plain embedder's (thresholds.troubleshoot_tuned_dense).

Off by default: on the corpus it was trained on it declines more of the symptoms nothing explains, but on the real
handbooks it does not, and at a larger share it ranks their causes worse (docs/troubleshooting.md, "The symptom
encoder"). `retrieval.symptom_encoder` picks it: `none` (the default), `bundled`, or the folder of an adapter trained
by `copilot finetune symptoms`. Loaded on the first symptom question (torch and the adapter, about a second).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from copilot.errors import CopilotError
from index.embeddings import canonical_embedder, resolve_embedder

logger = logging.getLogger(__name__)

BUNDLED = Path(__file__).resolve().parent / "adapters" / "symptom-minilm"
NONE = "none"
CACHE_SIZE = 256


class SymptomEncoderError(CopilotError):
    """The configured symptom encoder cannot be used."""


def adapter_base(folder: Path) -> str:
    """The embedder an adapter folder was trained on (its adapter_config.json), canonical."""
    config = folder / "adapter_config.json"
    if not config.is_file():
        raise SymptomEncoderError(f"symptom encoder {folder} has no adapter_config.json: give the folder written by "
                                  "`copilot finetune symptoms`, or set retrieval.symptom_encoder: none")
    try:
        return canonical_embedder(json.loads(config.read_text(encoding="utf-8"))["base_model_name_or_path"])
    except (OSError, ValueError, KeyError) as exc:
        raise SymptomEncoderError(f"symptom encoder {folder}: unreadable adapter_config.json ({exc})") from exc


def encoder_folder(setting: str) -> Path | None:
    """The adapter folder a `retrieval.symptom_encoder` setting names, or None for `none`."""
    setting = (setting or NONE).strip()
    if setting.lower() in (NONE, "off", "false"):
        return None
    return BUNDLED if setting.lower() == "bundled" else Path(setting).expanduser()


def mean_pooled(model: Any, tokenizer: Any, texts: list[str], max_length: int = 128) -> Any:
    """Unit vectors (a torch tensor, one row per text) by mean pooling over the tokens, as sentence-transformers'
    MiniLM; what the encoder answers with and what its trainer (finetune/symptoms.py) optimises."""
    import torch.nn.functional as F

    enc = tokenizer(texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
    hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return F.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)


class SymptomEncoder:
    """question -> unit vector in the index embedder's space (mean pooling, as sentence-transformers' MiniLM)."""

    def __init__(self, model: Any, tokenizer: Any, max_length: int = 128) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> np.ndarray:
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        import torch

        with torch.inference_mode():
            vector = mean_pooled(self.model, self.tokenizer, [text], self.max_length)[0].float().numpy()
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return vector


def load_symptom_encoder(folder: Path) -> SymptomEncoder:
    """The embedder the adapter names, offline, with the adapter merged into it (torch, fp32, CPU).

    Raises:
        SymptomEncoderError: the folder or its base embedder is missing, or peft is not installed.
    """
    if not (folder / "adapter_model.safetensors").is_file():
        raise SymptomEncoderError(f"symptom encoder adapter not found in {folder}: reinstall the package (the "
                                  "bundled one ships in copilot/qa/adapters/), train one with `copilot finetune "
                                  "symptoms`, or set retrieval.symptom_encoder: none")
    base = resolve_embedder(adapter_base(folder))
    try:
        from peft import PeftModel
    except ImportError as exc:
        raise SymptomEncoderError("the symptom encoder needs peft: pip install 'maintenance-copilot[run]', or set "
                                  "retrieval.symptom_encoder: none") from exc
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = PeftModel.from_pretrained(AutoModel.from_pretrained(str(base)), str(folder)).merge_and_unload()
    return SymptomEncoder(model.eval(), tokenizer)


class LazySymptomEncoder:
    """Loads the encoder on the first symptom question; a load that fails is logged once and the route goes on
    with the plain embedder (the answer loses the tuned match, not the question)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._encoder: SymptomEncoder | None = None
        self._failed = False
        self._lock = threading.Lock()

    def __call__(self, text: str) -> np.ndarray | None:
        if self._failed:
            return None
        with self._lock:
            if self._encoder is None and not self._failed:
                try:
                    self._encoder = load_symptom_encoder(self.folder)
                except SymptomEncoderError as exc:
                    logger.warning("%s; troubleshooting goes on with the index's embedder alone", exc)
                    self._failed = True
                    return None
        assert self._encoder is not None
        return self._encoder(text)


def symptom_encoder_for(setting: str, index_embedder: str) -> LazySymptomEncoder | None:
    """The encoder for an index, or None when the setting is `none` or the adapter was trained on another embedder
    than the index's (its vectors would be in another space than the index's rows)."""
    folder = encoder_folder(setting)
    if folder is None:
        return None
    try:
        base = adapter_base(folder)
    except SymptomEncoderError as exc:
        logger.warning("%s; troubleshooting goes on with the index's embedder alone", exc)
        return None
    if base != canonical_embedder(index_embedder):
        logger.info("symptom encoder %s was trained on %s, the index uses %s: not used", folder, base, index_embedder)
        return None
    return LazySymptomEncoder(folder)
