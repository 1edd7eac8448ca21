"""The symptom encoder (copilot/qa/symptom_encoder.py): when it is used, how the route mixes it in, and the bundled
adapter on the real MiniLM."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from copilot.config import RetrievalConfig
from copilot.qa import troubleshoot
from copilot.qa.query import plan_query
from copilot.qa.symptom_encoder import (
    BUNDLED,
    LazySymptomEncoder,
    encoder_folder,
    load_symptom_encoder,
    symptom_encoder_for,
)
from copilot.qa.thresholds import THRESHOLDS
from copilot.qa.view import IndexView
from index.embeddings import DEFAULT_EMBEDDER
from index.troubleshooting import TroubleRow, TroubleTable

CAVITATION = TroubleRow("Crackling noise, low suction pressure, erratic flow",
                        "Cavitation: blocked strainer, throttled suction valve, low tank level",
                        "Clean strainer (6.7); open suction valve", "pump.md", "pump.md", "8 Troubleshooting", None,
                        "table", "pump.md#8")
MISALIGNMENT = TroubleRow("High axial vibration, bearing temperature slightly up", "Misalignment or soft foot",
                          "Realign (6.5)", "pump.md", "pump.md", "8 Troubleshooting", None, "table", "pump.md#8")


def test_the_setting_names_the_bundled_adapter_another_folder_or_none() -> None:
    assert encoder_folder("bundled") == BUNDLED
    assert encoder_folder("none") is None and encoder_folder("off") is None
    assert encoder_folder("~/adapters/mine") == Path("~/adapters/mine").expanduser()
    assert RetrievalConfig().symptom_encoder == "none"  # measured, not adopted (docs/troubleshooting.md)


def test_the_bundled_adapter_ships_and_names_the_default_embedder_as_its_base() -> None:
    config = json.loads((BUNDLED / "adapter_config.json").read_text(encoding="utf-8"))
    assert config["base_model_name_or_path"] == DEFAULT_EMBEDDER
    assert (BUNDLED / "adapter_model.safetensors").stat().st_size < 5_000_000  # an adapter, not a model


def test_it_is_not_used_on_an_index_built_with_another_embedder() -> None:
    assert symptom_encoder_for("bundled", DEFAULT_EMBEDDER) is not None
    assert symptom_encoder_for("bundled", "sentence-transformers/all-mpnet-base-v2") is None
    assert symptom_encoder_for("none", DEFAULT_EMBEDDER) is None


def test_a_missing_adapter_is_reported_and_the_route_goes_on_without_it(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    assert symptom_encoder_for(str(tmp_path / "nowhere"), DEFAULT_EMBEDDER) is None
    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": DEFAULT_EMBEDDER}))
    lazy = LazySymptomEncoder(tmp_path)  # names a base but holds no weights
    with caplog.at_level(logging.WARNING):
        assert lazy("pump screaming") is None and lazy("again") is None
    assert sum("adapter not found" in r.message for r in caplog.records) == 1


def _view(embed: np.ndarray, tuned: np.ndarray | None) -> IndexView:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)  # cavitation, misalignment
    table = TroubleTable((CAVITATION, MISALIGNMENT), vectors)
    return IndexView((), {}, table, lambda _: embed, symptom_embed=(lambda _: tuned))


def test_the_route_mixes_the_encoders_cosine_with_the_embedders_by_the_configured_share() -> None:
    question = "it rattles, what do i check?"
    plan = plan_query(question)
    plain = troubleshoot.rank(question, plan, _view(np.array([0.6, 0.8], np.float32), None))
    assert plain[0].row is MISALIGNMENT  # the plain embedder alone
    mixed = troubleshoot.rank(question, plan, _view(np.array([0.6, 0.8], np.float32), np.array([1.0, 0.0])))
    share = THRESHOLDS.troubleshoot_tuned_dense
    assert mixed[0].row is CAVITATION
    assert mixed[0].dense == pytest.approx((1 - share) * 0.6 + share * 1.0)


def test_the_bundled_encoder_puts_a_technicians_words_on_the_row_that_explains_them() -> None:
    """On the real MiniLM, with words in neither the rows nor the training or evaluation questions."""
    encoder = load_symptom_encoder(BUNDLED)
    from index.embeddings import make_embedder

    rows = make_embedder(DEFAULT_EMBEDDER, device="cpu", backend="torch").embed_documents(
        [CAVITATION.match_text, MISALIGNMENT.match_text])
    rows = np.asarray(rows, dtype=np.float32)
    vector = encoder("pump is rattling like a bucket of stones and the inlet gauge is sagging, where do i start")
    assert vector.shape == (rows.shape[1],) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    cavitation, misalignment = rows @ vector
    assert cavitation > misalignment + 0.1
    again = encoder("pump is rattling like a bucket of stones and the inlet gauge is sagging, where do i start")
    assert again is vector  # cached


def test_training_writes_an_adapter_the_route_can_load_and_leaves_out_rows_the_index_lacks(tmp_path: Path) -> None:
    from finetune.symptoms import SymptomRecipe, resolve_rows, train_symptom_encoder

    def asked(question: str, row: TroubleRow | None) -> dict[str, object]:
        named = None if row is None else {"source": row.source, "kind": row.kind, "symptom": row.symptom,
                                          "cause": row.cause}
        return {"question": question, "machine": "pump", "row": named}

    gone = TroubleRow("Seal weeping", "Worn seal faces", "Replace seal", "old.md", "old.md", None, None, "table", "x")
    questions = [asked("pump sounds like gravel, suction gauge low", CAVITATION),
                 asked("shaking end to end after the coupling job", MISALIGNMENT),
                 asked("drip under the shaft", gone), asked("the paint is peeling off the base", None)]
    rows = (CAVITATION, MISALIGNMENT)
    assert resolve_rows(questions, rows) == [(questions[0]["question"], 0), (questions[1]["question"], 1),
                                             (questions[3]["question"], None)]
    report = train_symptom_encoder(rows, tmp_path / "adapter", SymptomRecipe(epochs=1, batch=4), questions)
    assert report["questions"] == 3 and report["explained"] == 2 and len(report["epoch_loss"]) == 1
    assert json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())["base_model_name_or_path"] \
        == DEFAULT_EMBEDDER
    vector = symptom_encoder_for(str(tmp_path / "adapter"), DEFAULT_EMBEDDER)("pump sounds like gravel")  # type: ignore[misc]
    assert vector is not None and vector.shape == (384,)
