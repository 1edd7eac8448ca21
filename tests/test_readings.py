"""Readings a symptom states (a quantity high, low or normal) and whether a troubleshooting row says the same."""

from __future__ import annotations

import pytest

from copilot.qa.readings import Reading, agreement, readings
from index.normalize import tokenize


def _said(text: str) -> list[tuple[set[str], str]]:
    return [(set(r.quantity), r.state) for r in readings(text)]


def test_each_clause_gives_its_quantity_and_state() -> None:
    said = _said("airend outlet temp reading high on the screw compressor but oil temp is right where it always is")
    assert ({"airend", "outlet", "temperatur", "screw", "compressor"}, "high") in said
    assert ({"oil", "temperatur"}, "normal") in said
    assert _said("Oil carry-over with normal separator differential") == [({"separ", "differenti"}, "normal")]


def test_a_clause_with_a_state_and_no_quantity_reads_the_one_before() -> None:
    assert _said("we just checked take-up tension and its in spec") == [({"take-up", "takeup", "tension"}, "normal")]
    assert _said("refrigerant charge has been checked and it's full")[-1] == ({"refriger", "charg"}, "normal")


@pytest.mark.parametrize("text", [
    "carbureted engine not making full power",  # negated, and "full power" is not a reading
    "fine cracks across the belt cover",  # "fine" describes the cracks
    "press cylinder creeps down under load",  # motion, not a quantity going down
])
def test_words_that_only_look_like_states_read_nothing(text: str) -> None:
    assert readings(text) == ()


def test_a_row_that_reads_the_quantity_the_same_way_agrees_and_one_that_reads_it_otherwise_differs() -> None:
    idf = {t: 2.0 for t in tokenize("oil temperature airend separator differential")}
    asked = readings("airend temperature high but oil temperature normal")
    same = readings("Airend temperature high, oil temperature normal")
    other = readings("Oil and airend temperatures rising together")
    assert agreement(asked, same, idf, match=0.6) == (1.0, 0.0)
    agree, differ = agreement(asked, other, idf, match=0.6)
    assert differ > 0.5  # the oil temperature: normal in the question, rising in the row
    assert agreement(asked, readings("Separator differential above 0.8 bar"), idf, match=0.6) == (0.0, 0.0)


def test_an_ambiguous_match_goes_to_the_reading_that_agrees() -> None:
    asked = (Reading(frozenset({"spindl", "coolant", "temperatur"}), "normal"),)
    said = readings("Spindle temperature high, coolant temperature normal")
    assert agreement(asked, said, {}, match=0.6) == (1.0, 0.0)
