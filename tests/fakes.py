"""Test doubles: a scripted generator that records prompts, a hashing embedder with real (lexical) similarity."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

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
