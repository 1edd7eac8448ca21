"""Troubleshooting figures whose columns ran together in PDF extraction, read back into rows (index/figures.py).

The texts are the shapes the five FAA powerplant chapters extract to, cut short."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.figures import align, find_figure, item_role

LETTERED = ("3-5 Probable Cause Isolation Procedure Correction Engine fails to start1 Engine runs rough2 a Induction "
            "system obstructed b Air leaks a Loose air ducts b Engine valves sticking Inspect air scoop Inspect "
            "carburetor mounting Inspect air ducts Remove rocker arm cover and check valve action Remove obstructions "
            "Tighten carburetor Tighten air ducts Lubricate and free sticking valves Figure 3-8. Common problems for "
            "troubleshooting induction systems. Figure 3-9. An example.")

TRAILING = ("5-16 Air Turbine Starter System Troubleshooting Procedures Trouble Probable Cause Remedy ? Check air "
            "supply. ? Remove starter and replace drive coupling. ? Drain oil and re-service properly. ? No remedial "
            "action required. ? No air supply. ? Sheared starter drive coupling. ? Oil level too high. ? Small fuzzy "
            "particles indicate normal wear. ? Starter does not operate (no rotation). ? External oil leakage. "
            "? Metallic particles on magnetic drain plug. Figure 5-25. Air turbine starter system troubleshooting "
            "procedures. Text after the figure.")

UNBULLETED = ("3-16 Trouble Probable Cause Remedy Aircraft fails to reach critical altitude Engine surges Exhaust "
              "system leaks Faulty turbocharger bearings Bootstrapping Repair leaks Replace turbocharger Ensure engine "
              "is operated in proper range Figure 3-23. Common issues when troubleshooting turbocharger systems.")


def test_item_letters_restarting_at_a_give_each_numbered_trouble_its_causes() -> None:
    figure = find_figure(LETTERED)
    assert figure is not None and figure.title.startswith("Figure 3-8. Common problems")
    assert [(r.trouble, r.cause, r.check, r.remedy) for r in figure.rows] == [
        ("Engine fails to start", "Induction system obstructed", "Inspect air scoop", "Remove obstructions"),
        ("Engine fails to start", "Air leaks", "Inspect carburetor mounting", "Tighten carburetor"),
        ("Engine runs rough", "Loose air ducts", "Inspect air ducts", "Tighten air ducts"),
        ("Engine runs rough", "Engine valves sticking", "Remove rocker arm cover and check valve action",
         "Lubricate and free sticking valves")]


def test_items_beyond_the_remedy_count_are_the_troubles_printed_after_the_causes() -> None:
    figure = find_figure(TRAILING)
    assert figure is not None
    assert [r.cause for r in figure.rows] == ["No air supply.", "Sheared starter drive coupling.",
                                              "Oil level too high.", "Small fuzzy particles indicate normal wear."]
    assert [r.remedy for r in figure.rows][-1] == "No remedial action required."  # a remedy, not a cause
    troubles = {r.trouble for r in figure.rows}
    assert troubles <= {"Starter does not operate (no rotation).", "External oil leakage.",
                        "Metallic particles on magnetic drain plug."}
    assert next(r.trouble for r in figure.rows if r.cause == "Oil level too high.") == "External oil leakage."


def test_unbulleted_items_are_split_at_their_capitals_and_the_leading_ones_are_troubles() -> None:
    figure = find_figure(UNBULLETED)
    assert figure is not None
    assert [r.cause for r in figure.rows] == ["Exhaust system leaks", "Faulty turbocharger bearings", "Bootstrapping"]
    assert [r.remedy for r in figure.rows] == ["Repair leaks", "Replace turbocharger",
                                               "Ensure engine is operated in proper range"]
    assert figure.rows[0].trouble == "Aircraft fails to reach critical altitude"
    assert figure.rows[-1].trouble == "Engine surges"


def test_a_page_without_column_headers_is_not_a_figure() -> None:
    assert find_figure("Probable cause of the failure was a worn seal. Replace the seal.") is None


def test_align_cuts_the_causes_into_one_consecutive_run_per_trouble_by_meaning() -> None:
    def similarity(troubles: Sequence[str], causes: Sequence[str]) -> np.ndarray:
        return np.array([[1.0 if t[0] == c[0] else 0.0 for c in causes] for t in troubles])

    assert align(["a trouble", "b trouble", "c trouble"], ["a1", "a2", "b1", "c1", "c2"], similarity) == [
        0, 0, 1, 2, 2]
    assert align(["only"], ["x", "y"]) == [0, 0]
    owner = align(["a", "b"], ["a1", "b1", "b2", "b3"], similarity)
    assert owner == sorted(owner) and set(owner) == {0, 1}  # consecutive and none left without a cause


def test_checks_and_remedies_are_told_by_their_first_words() -> None:
    assert item_role("Remove starter and turn over engine by hand to examine crankshaft gear.") == "check"
    assert item_role("Remove and repair or replace starter.") == "remedy"
    assert item_role("No remedial action required.") == "remedy"
    assert item_role("Low battery.") == "cause"



def test_a_cause_is_placed_under_its_trouble_by_what_the_table_prints_beside_it_too() -> None:
    """ "Sheared drive coupling" and "Stripped gear teeth" share no word with "Starter runs, but engine does not turn
    over"; their remedies do ("... so the engine turns over"), as a remedy often names the part or the fault."""
    text = ("5-16 Trouble Probable Cause Remedy ? Check air supply. ? Replace drive coupling so engine turns over. "
            "? Replace gears so engine turns over. ? Tighten oil plugs. ? Drain oil and re-service. ? No air supply. "
            "? Sheared drive coupling. ? Stripped gear teeth. ? Loose plugs. ? Overfilled. ? Starter does not "
            "operate (no rotation), no air. ? Starter runs, but engine does not turn over. ? External oil leakage "
            "from plugs. Figure 5-25. Air turbine starter.")
    figure = find_figure(text)  # shared words as the similarity, as without an embedder
    assert figure is not None
    placed = {r.cause: r.trouble for r in figure.rows}
    assert placed["No air supply."] == "Starter does not operate (no rotation), no air."
    assert placed["Sheared drive coupling."] == placed["Stripped gear teeth."] == (
        "Starter runs, but engine does not turn over.")
    assert placed["Loose plugs."] == placed["Overfilled."] == "External oil leakage from plugs."
