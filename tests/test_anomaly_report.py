"""The anomaly report end to end on fakes: diagnosis with evidence, cited actions, checked model summary, plot, CLI."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from copilot import Copilot, load_config
from copilot.anomaly.diagnosis import FailureMode, parse_signature, rank_failure_modes
from copilot.anomaly.summary import check_summary, facts
from copilot.cli import main
from copilot.evaluation.anomalies import Tally, evaluate_corpus, skab_family
from copilot.records import AnomalyEvent, LikelyCause
from index import IndexConfig, build_index
from tests.fakes import HashingEmbedder, ScriptedGenerator


def pump_log(n: int = 600, fault_at: int = 400) -> pd.DataFrame:
    """A pump whose vibration and bearing temperature rise together from `fault_at` (bearing wear)."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    vib = 1.2 + 0.05 * np.sin(t / 20) + rng.normal(0, 0.05, n)
    temp = 55 + rng.normal(0, 0.3, n)
    flow = 108 + rng.normal(0, 1.0, n)
    vib[fault_at:] += np.linspace(1.0, 3.0, n - fault_at)
    temp[fault_at:] += np.linspace(5.0, 15.0, n - fault_at)
    return pd.DataFrame({"timestamp": pd.date_range("2025-01-06", periods=n, freq="5min"), "vibration_mm_s": vib,
                         "bearing_temp_c": temp, "flow_m3h": flow})


@pytest.fixture
def make_copilot(tiny_corpus: Path, tmp_path: Path, fake_embedder: HashingEmbedder):
    index_dir = tmp_path / "idx"
    build_index([tiny_corpus], index_dir, lambda: fake_embedder, IndexConfig(embedder="fake"))

    def make(*replies: str) -> tuple[Copilot, ScriptedGenerator]:
        generator = ScriptedGenerator(*replies)
        cfg = load_config(None, {"index_dir": str(index_dir), "index.embedder": "fake"})
        return Copilot.load(cfg, generator=generator, embedder=fake_embedder), generator

    return make


def test_report_ranks_bearing_wear_with_evidence_and_cites_the_manual(make_copilot, tmp_path: Path) -> None:
    copilot, _ = make_copilot("")
    report = copilot.analyse(pump_log(), asset="P-901", fit_rows=300, plot=tmp_path / "p.png")
    assert report.events and report.likely_causes[0].failure_mode == "bearing_wear"
    evidence = " ".join(report.likely_causes[0].evidence)
    assert "vibration_mm_s up" in evidence and "normal" in evidence
    assert report.actions[0].citation.source == "pump_manual.md"
    assert report.urgency in ("medium", "high")
    assert report.summary_source == "template" and "bearing wear" in report.summary
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    as_json = json.loads(json.dumps(report.to_dict()))
    assert {"asset", "window", "events", "likely_causes", "actions", "urgency", "summary"} <= set(as_json)
    # the typed causes and actions keep the JSON shape `copilot analyse --json` has always had
    assert list(as_json["likely_causes"][0]) == ["failure_mode", "asset_type", "score", "evidence", "manual", "section",
                                                 "recommended_actions", "component", "severity"]
    assert list(as_json["actions"][0]) == ["step", "citation"]
    assert list(as_json["actions"][0]["citation"]) == ["source", "section", "page", "page_label"]


def test_a_model_summary_with_only_evidence_numbers_is_used(make_copilot) -> None:
    copilot, generator = make_copilot("")
    first = copilot.analyse(pump_log(), asset="P-901", fit_rows=300, summarise=False)
    event = first.events[0]
    reply = f"Vibration on P-901 has risen since {event.start}; bearing wear is the most likely cause."
    copilot, generator = make_copilot(reply)
    report = copilot.analyse(pump_log(), asset="P-901", fit_rows=300)
    assert report.summary == reply and report.summary_source == "model"
    prompt = generator.prompts[0][1]["content"]
    assert "Facts:" in prompt and "bearing wear" in prompt


def test_a_model_summary_that_invents_a_number_falls_back_to_the_template(make_copilot) -> None:
    copilot, _ = make_copilot("Vibration reached 99.9 mm/s, replace the bearing within 3 days.")
    report = copilot.analyse(pump_log(), asset="P-901", fit_rows=300)
    assert report.summary_source == "template"
    assert any("numbers not in the evidence" in w for w in report.warnings)
    assert "99.9" not in report.summary


def test_summary_check_rejects_a_failure_mode_the_evidence_does_not_rank() -> None:
    causes = [LikelyCause(failure_mode="bearing_wear", asset_type="", score=1.0, evidence=("vibration_mm_s up",),
                          manual="", section="", recommended_actions="", component="", severity=3)]
    lines = facts("P-1", ("a", "b"), [], causes, "high")
    ranked = [cause.failure_mode for cause in causes]
    problem = check_summary("The pump shows clear cavitation and must be stopped now.", lines, ranked,
                            ["bearing_wear", "cavitation"])
    assert problem and "cavitation" in problem
    assert check_summary("The pump shows bearing wear and must be checked now.", lines, ranked,
                         ["bearing_wear", "cavitation"]) is None
    silent = check_summary("The pump vibrates more than usual and must be checked now.", lines, ranked)
    assert silent and "most likely cause" in silent  # a summary that leaves out the top cause is not a summary


def test_ranking_penalises_a_channel_moving_against_the_signature() -> None:
    table = [FailureMode("pump", "stuck_valve", "", parse_signature("flow:down;pressure:up"), "", "", "", "", "", 3),
             FailureMode("pump", "seal_leak", "", parse_signature("flow:down;pressure:down"), "", "", "", "", "", 3)]
    ranked = rank_failure_modes({"flow": ("down", "high"), "pressure": ("up", "medium")}, table)
    assert [r.failure_mode for r in ranked] == ["stuck_valve", "seal_leak"]
    assert any(str(e).startswith("against:") for e in ranked[1].evidence)


def test_cli_analyse_writes_json_and_a_plot(make_copilot, tmp_path: Path, capsys, monkeypatch) -> None:
    copilot, _ = make_copilot("")
    monkeypatch.setattr("copilot.cli._load_copilot", lambda args: copilot)
    log = tmp_path / "P-901.csv"
    pump_log().to_csv(log, index=False, sep=";")
    assert main(["analyse", str(log), "--fit-rows", "300", "--json", "--plot", str(tmp_path / "x.png")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["asset"] == "P-901" and out["events"] and (tmp_path / "x.png").is_file()
    assert main(["analyse", str(log), "--fit-rows", "300", "--fit", str(log)]) == 1
    assert "either --fit" in capsys.readouterr().err


def test_skab_families_follow_the_data_readme() -> None:
    assert skab_family("valve2_3") == "valve_closure" and skab_family("other_6") == "rotor_imbalance"
    assert skab_family("other_11") == "leak_flow_change" and skab_family("other_14") == "temperature"
    assert skab_family("anomaly-free_anomaly-free") is None


def test_tally_counts_points_events_and_delay() -> None:
    tally = Tally()
    truth = np.array([0, 0, 1, 1, 1, 0, 0, 0], bool)
    predicted = np.array([0, 0, 0, 1, 1, 1, 0, 1], bool)
    tally.add_points(truth, predicted)
    tally.add_events(truth, predicted, pd.date_range("2025-01-01", periods=8, freq="s"))
    result = tally.result()
    assert (tally.tp, tally.fp, tally.fn, tally.tn) == (2, 2, 1, 3)
    assert result["event_precision"] == 0.5 and result["event_recall"] == 1.0 and result["delay_s_median"] == 1.0


def test_corpus_evaluation_scores_labelled_faults(tmp_path: Path, tiny_corpus: Path) -> None:
    folder = tmp_path / "sensors"
    folder.mkdir()
    log = pump_log()
    log.to_csv(folder / "P-901.csv", index=False)
    start, end = log["timestamp"].iloc[400], log["timestamp"].iloc[-1]
    (folder / "labels.json").write_text(json.dumps([{"asset": "P-901", "file": "P-901.csv",
                                                     "failure_mode": "bearing_wear", "start": start.isoformat(),
                                                     "end": end.isoformat()}]))
    result = evaluate_corpus(folder, tiny_corpus / "fmea.csv", load_config().anomaly, "robust")
    assert result["event_recall"] == 1.0 and result["top1"] == 1.0 and result["far"] < 0.05


def test_events_are_json_ready() -> None:
    event = AnomalyEvent("a", "b", ("x",), "x", 1.0, 5.0, "up", "high", 3, channel_directions={"x": "up"})
    assert json.loads(json.dumps(event.__dict__))["channel_directions"] == {"x": "up"}


def test_repair_steps_cite_a_handbook_section_by_its_pdf_and_printed_page() -> None:
    from types import SimpleNamespace

    from copilot.anomaly.format import format_report
    from copilot.anomaly.report import section_citation
    from copilot.anomaly.summary import where
    from copilot.records import AnomalyReport, RepairAction
    from index.records import Chunk

    chunk = Chunk(chunk_id="h#1", text="Inspect the cylinder walls.", source="handbook.pdf", path="handbook.pdf",
                  doc_type="pdf", page=27, section="10.4 Cylinder inspection", page_label="10-27")
    citation = section_citation(SimpleNamespace(chunks=[chunk]), "handbook.md", "10.4")  # type: ignore[arg-type]
    assert citation.to_dict() == {"source": "handbook.pdf", "section": "10.4 Cylinder inspection", "page": 27,
                                  "page_label": "10-27"}
    assert where(citation) == "handbook.pdf, section 10.4 Cylinder inspection, p. 27, printed 10-27"
    report = AnomalyReport(asset="E-1", window=("a", "b"), channels=("cht",), events=(), detector="robust_z",
                           actions=(RepairAction(step="Inspect the cylinder walls", citation=citation),))
    assert "[handbook.pdf, 10.4 Cylinder inspection, p. 27, printed 10-27]" in format_report(report)
    missing = section_citation(SimpleNamespace(chunks=[chunk]), "other.md", "2.1")  # type: ignore[arg-type]
    assert missing.to_dict() == {"source": "other.md", "section": "2.1", "page": None, "page_label": None}


def test_summary_check_rejects_a_cause_a_step_or_an_urgency_the_facts_do_not_hold() -> None:
    """A log from an asset of unknown type ranks no cause and cites no action: a summary claiming one is invented."""
    event = AnomalyEvent(start="2013-12-16T16:05:00", end="2013-12-16T17:35:00", channels=("value",),
                         direction="down", peak_channel="value", peak_value=16.4571, peak_score=-5.9, score=1.1,
                         severity="low", points=19, normal_values={"value": 89.1034})
    lines = facts(None, ("2013-12-02T21:15:00", "2014-02-19T15:25:00"), [event], [], "low")
    said = "Value fell to 16.4571 on 2013-12-16 16:05, against a normal 89.1034."
    assert check_summary(f"{said} Urgency is low.", lines, []) is None
    cause = check_summary(f"{said} The most likely cause is low. Urgency is low.", lines, [])
    assert cause and "claims a cause" in cause
    step = check_summary(f"{said} First step: value 16.4571. Urgency is low.", lines, [])
    assert step and "cites no action" in step
    urgency = check_summary(f"{said} Urgency is high.", lines, [])
    assert urgency and "urgency high" in urgency
