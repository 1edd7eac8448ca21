"""The re-scoring stage (index/rescore.py): the contract, its config, stored vectors and their manifest guard, and that
re-scoring reorders what the first stage found. Fakes throughout; one tiny random cross-encoder built in the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copilot.config import RetrievalConfig, load_config
from copilot.errors import ConfigError, CopilotError
from copilot.evaluation.retrieval import parse_variant
from copilot.qa.retrieval import Retriever, load_rescorer
from index import HybridIndex, IndexConfig, build_index, sync_index
from index.embeddings import MPNET_EMBEDDER
from index.errors import IndexMismatchError
from index.layout import live_generation
from index.manifest import Manifest
from index.records import Chunk, Hit
from index.rescore import (
    RESCORE_FILE,
    BiEncoderRescorer,
    CrossEncoderRescorer,
    NoRescorer,
    RescoreVectors,
    canonical_rescorer,
    make_rescorer,
    rerank,
)
from tests.fakes import HashingEmbedder

CFG = IndexConfig(embedder="fake")


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(cid, text, "m.md", "m.md", "manual", None, "S", ("Manual", "S"))


class PreferringRescorer:
    """Scores 1.0 for chunks whose text holds `word`, else 0.1; records what it was asked."""

    name = "fake-rescorer"

    def __init__(self, word: str) -> None:
        self.word = word
        self.asked: list[int] = []

    def score(self, query: str, candidates: list[Chunk]) -> list[float]:
        self.asked.append(len(candidates))
        return [1.0 if self.word in c.text else 0.1 for c in candidates]


def test_rerank_puts_the_candidate_the_rescorer_prefers_first_and_keeps_the_tail() -> None:
    hits = [Hit(_chunk(f"c{i}", text), score) for i, (text, score) in
            enumerate([("intro page", 1.0), ("sibling entry", 0.9), ("the gold answer", 0.8), ("far away", 0.1)])]
    rescorer = PreferringRescorer("gold")
    out = rerank("q", hits, rescorer, weight=1.0, depth=3)
    assert [h.chunk.chunk_id for h in out] == ["c2", "c0", "c1", "c3"]  # the 4th is beyond depth: not scored, last
    assert rescorer.asked == [3]
    assert out[0].score == pytest.approx(0.8 + 1.0)
    assert [h.chunk.chunk_id for h in rerank("q", hits, rescorer, weight=0.0, depth=3)] == ["c0", "c1", "c2", "c3"]
    assert rerank("q", hits, NoRescorer(), weight=5.0, depth=3) == hits


def test_a_small_weight_only_breaks_near_ties() -> None:
    hits = [Hit(_chunk("a", "first"), 2.0), Hit(_chunk("b", "second gold"), 1.5), Hit(_chunk("c", "third"), 1.4)]
    out = rerank("q", hits, PreferringRescorer("gold"), weight=0.3, depth=30)
    assert [h.chunk.chunk_id for h in out] == ["a", "b", "c"]  # 1.5 + 0.3 < 2.0 + 0.03
    out = rerank("q", hits, PreferringRescorer("gold"), weight=1.0, depth=30)
    assert [h.chunk.chunk_id for h in out] == ["b", "a", "c"]


def test_bi_encoder_scores_are_cosines_and_candidates_are_embedded_once() -> None:
    rescorer = BiEncoderRescorer(HashingEmbedder(64), "fake")
    candidates = [_chunk("a", "replace the seal gland packing"), _chunk("b", "lubricate the coupling")]
    scores = rescorer.score("seal gland packing", candidates)
    assert scores[0] > scores[1] >= 0.0
    assert rescorer.embedded == 2
    rescorer.score("another question about seals", candidates)
    assert rescorer.embedded == 2  # kept from the first question
    rescorer.clear_cache()
    rescorer.score("seal", candidates)
    assert rescorer.embedded == 2


def test_stored_vectors_spare_the_model_and_a_changed_text_is_embedded_anew() -> None:
    encoder = HashingEmbedder(64)
    chunks = [_chunk("a", "replace the seal"), _chunk("b", "lubricate the coupling")]
    from index.rescore import embed_rescore_vectors

    stored = embed_rescore_vectors(chunks, encoder, "fake")
    rescorer = BiEncoderRescorer(encoder, "fake", stored)
    rescorer.score("seal", chunks)
    assert rescorer.embedded == 0
    rescorer.score("seal", [_chunk("a", "replace the seal faces")])  # same id, other text: not the stored vector
    assert rescorer.embedded == 1


def test_cross_encoder_scores_are_squashed_to_probabilities() -> None:
    class Logits:
        def predict(self, pairs: list[tuple[str, str]], **kwargs: object) -> np.ndarray:
            return np.array([4.0 if "seal" in text else -3.0 for _, text in pairs])

    scores = CrossEncoderRescorer(Logits(), "cross-encoder:x").score("q", [_chunk("a", "seal"), _chunk("b", "oil")])
    assert 0.95 < scores[0] <= 1.0 and 0.0 <= scores[1] < 0.1


def test_a_local_cross_encoder_folder_loads_by_configuration(tmp_path: Path) -> None:
    """A tiny random BERT with a one-label head, saved as sentence-transformers' CrossEncoder reads it."""
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "seal", "oil", "replace", "the", "pump"]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                                cls_token="[CLS]", sep_token="[SEP]")
    config = transformers.BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                                     num_labels=1, architectures=["BertForSequenceClassification"])
    folder = tmp_path / "tiny-cross-encoder"
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    fast.save_pretrained(folder)

    assert canonical_rescorer(str(folder)) == f"cross-encoder:{folder}"  # recognised by its head
    rescorer = make_rescorer(str(folder))
    assert isinstance(rescorer, CrossEncoderRescorer)
    scores = rescorer.score("replace the seal", [_chunk("a", "replace the seal"), _chunk("b", "oil the pump")])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)


def test_config_names_and_bounds() -> None:
    cfg = RetrievalConfig(rescorer="MPNet")
    assert cfg.rescorer == MPNET_EMBEDDER
    assert RetrievalConfig().rescorer == "none"
    assert RetrievalConfig(rescorer="cross-encoder: /models/ce").rescorer == "cross-encoder:/models/ce"
    with pytest.raises(ValueError, match="rescore_stage"):
        RetrievalConfig(rescore_stage="late")
    with pytest.raises(ValueError, match="rescore_weight"):
        RetrievalConfig(rescore_weight=-1)
    with pytest.raises(ValueError, match="rescorer_vectors"):
        IndexConfig(rescorer_vectors="cross-encoder:/models/ce")
    assert IndexConfig(rescorer_vectors="mpnet").rescorer_vectors == MPNET_EMBEDDER
    with pytest.raises(ConfigError, match="rescore_depth"):
        load_config(None, {"retrieval.rescore_depth": 0})


def test_variant_flags_parse_into_retrieval_configs() -> None:
    name, cfg = parse_variant("mpnet:rescorer=mpnet,rescore_weight=0.5,rescore_stage=fusion", RetrievalConfig())
    assert (name, cfg.rescorer, cfg.rescore_weight, cfg.rescore_stage) == ("mpnet", MPNET_EMBEDDER, 0.5, "fusion")
    with pytest.raises(CopilotError, match="KEY=VALUE"):
        parse_variant("x:weight=1", RetrievalConfig())
    with pytest.raises(CopilotError, match="rescore_weight"):
        parse_variant("x:rescore_weight=-2", RetrievalConfig())


def test_stored_vectors_are_written_recorded_and_a_mismatch_is_refused(tiny_corpus: Path, tmp_path: Path) -> None:
    embedder = HashingEmbedder(32)
    index_dir = tmp_path / "idx"
    build_index([tiny_corpus], index_dir, lambda: embedder, CFG)
    gen = live_generation(index_dir)
    assert Manifest.load(gen).rescorer == "none" and not (gen / RESCORE_FILE).exists()

    encoded: list[int] = []

    class CountingEncoder(HashingEmbedder):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            encoded.append(len(texts))
            return super().embed_documents(texts)

    with_vectors = IndexConfig(embedder="fake", rescorer_vectors="fake-rescorer-a")
    report = sync_index([tiny_corpus], index_dir, lambda: embedder, with_vectors,
                        make_rescorer_encoder=lambda: CountingEncoder(16))
    assert report.chunks_embedded == 0  # the chunks' own vectors are kept; only the re-scorer's are added
    assert report.rescore_embedded == report.total_chunks == sum(encoded) > 0
    gen = live_generation(index_dir)
    assert Manifest.load(gen).rescorer == "fake-rescorer-a"
    stored = RescoreVectors.load(gen)
    assert stored is not None and stored.vectors.shape == (report.total_chunks, 16)
    again = sync_index([tiny_corpus], index_dir, lambda: embedder, with_vectors,
                       make_rescorer_encoder=lambda: CountingEncoder(16))
    assert not again.changed and again.rescore_embedded == 0

    index = HybridIndex.load(index_dir, embedder, CFG.embedder)
    with pytest.raises(IndexMismatchError, match="fake-rescorer-a"):
        load_rescorer(index, RetrievalConfig(rescorer="fake-rescorer-b"), CFG)  # refused before any model loads
    with pytest.raises(IndexMismatchError, match="fake-rescorer-a"):
        make_rescorer("fake-rescorer-b", index.rescore_vectors, load_encoder=lambda m: HashingEmbedder(16))
    assert isinstance(load_rescorer(index, RetrievalConfig(), CFG), NoRescorer)  # no rescorer: vectors unused
    rescorer = make_rescorer("fake-rescorer-a", index.rescore_vectors, load_encoder=lambda m: CountingEncoder(16))
    assert isinstance(rescorer, BiEncoderRescorer)
    before = sum(encoded)
    rescorer.score("seal leak", index.chunks[:10])
    assert sum(encoded) == before  # candidates' vectors came from the index


@pytest.mark.parametrize("stage", ["rerank", "fusion"])
def test_the_retriever_reorders_by_the_rescorer(tiny_corpus: Path, tmp_path: Path, stage: str) -> None:
    embedder = HashingEmbedder(64)
    build_index([tiny_corpus], tmp_path / "idx", lambda: embedder, CFG)
    index = HybridIndex.load(tmp_path / "idx", embedder, CFG.embedder)
    question = "mechanical seal leaking on the pump"
    first = Retriever(index, RetrievalConfig(min_score=0.0)).hits(question, k=8)
    target = first[-1].chunk  # the first stage's 8th
    rescorer = PreferringRescorer(target.text)
    cfg = RetrievalConfig(min_score=0.0, rescorer="fake-rescorer", rescore_weight=5.0, rescore_stage=stage)
    again = Retriever(index, cfg, rescorer).hits(question, k=8)
    assert again[0].chunk.chunk_id == target.chunk_id
    assert rescorer.asked and (max(rescorer.asked) >= 8 if stage == "rerank" else True)
    unweighted = Retriever(index, RetrievalConfig(min_score=0.0, rescore_weight=0.0, rescorer="fake-rescorer",
                                                  rescore_stage=stage), PreferringRescorer(target.text))
    assert [h.chunk.chunk_id for h in unweighted.hits(question, k=8)] == [h.chunk.chunk_id for h in first]
