"""Test doubles: a scripted generator that records prompts, a hashing embedder with real (lexical) similarity,
a tiny chat tokenizer and Llama built on the spot for the fine-tuning tests, and a tiny sentence-transformers model
for the embedding backends."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from index.normalize import tokenize


class ScriptedGenerator:
    """Returns queued replies in order (the last one repeats) and records every prompt it was given."""

    name = "scripted"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies) or ["The documents do not cover this."]
        self.prompts: list[list[dict[str, str]]] = []

    def generate(self, messages: list[dict[str, str]], *, max_new_tokens: int) -> str:
        self.prompts.append(messages)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def stream(self, messages: list[dict[str, str]], *, max_new_tokens: int) -> Iterator[str]:
        text = self.generate(messages, max_new_tokens=max_new_tokens)
        for word in text.split(" "):
            yield word + " "


class HashingEmbedder(Embeddings):
    """Bag of normalised tokens hashed into `size` dimensions, L2-normalised: lexical similarity, no model."""

    def __init__(self, size: int = 64) -> None:
        self.size = size

    def _embed(self, text: str) -> list[float]:
        vector = np.zeros(self.size, dtype=np.float32)
        for token in tokenize(text):
            slot = int(hashlib.md5(token.encode()).hexdigest(), 16) % self.size
            vector[slot] += 1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            vector[0] = 1.0
            norm = 1.0
        return (vector / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tiny_tokenizer(texts: list[str]) -> Any:
    """A word-level tokenizer trained on `texts`, with ChatML special tokens and template: SmolLM2's format, tiny.

    Real `PreTrainedTokenizerFast` code paths (chat template, padding, special tokens) with no download.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from copilot.generation import prompts

    backend = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.decoder = decoders.WordPiece()  # joins words with spaces
    corpus = [*texts, prompts.QA_SYSTEM, prompts.SHORTHAND_SYSTEM, "system user assistant"]
    backend.train_from_iterator(corpus, trainers.WordLevelTrainer(
        special_tokens=["[PAD]", "[UNK]", "<|im_start|>", "<|im_end|>"]))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]",
                                        eos_token="<|im_end|>")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def tiny_llama(tokenizer: Any, seed: int = 0, heads: int = 4, kv_heads: int = 2, positions: int = 2048) -> Any:
    """A randomly initialised Llama (hidden 32, 2 layers) over `tokenizer`'s vocabulary; the same seed, the same
    weights. Real transformers and peft code paths in a few milliseconds."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=positions,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=None, tie_word_embeddings=False)
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).float().eval()


def tiny_sentence_model(folder: Path, tokenizer: Any, seed: int = 0, pooling: str = "mean") -> Path:
    """A randomly initialised sentence-transformers model (BERT, hidden 32, 2 layers, `pooling`, normalised) saved
    into `folder`: the real export, quantisation and pooling code paths of index/onnx_embed.py in a second."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id)
    BertModel(config).save_pretrained(folder / "hf")
    tokenizer = copy.deepcopy(tokenizer)
    tokenizer.chat_template = None  # with a chat template, sentence-transformers 6 would wrap each text as a message
    tokenizer.save_pretrained(folder / "hf")
    transformer = models.Transformer(str(folder / "hf"), max_seq_length=64)
    SentenceTransformer(modules=[transformer, models.Pooling(32, pooling), models.Normalize()],
                        device="cpu").save(str(folder / "st"))
    return folder / "st"
