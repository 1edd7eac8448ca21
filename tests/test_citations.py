from copilot.qa.citations import check, split_sentences
from copilot.records import Passage


def passage(n: int, text: str, source: str = "m.md") -> Passage:
    return Passage(n=n, chunk_id=f"c{n}", text=text, source=source, path=source, page=n, section=f"{n}.1 S",
                   score=0.8)


PASSAGES = [
    passage(1, "Tighten the seal gland nuts evenly to 25 N·m. Do not overtighten."),
    passage(2, "Heat the new bearings to 110 °C on an induction heater."),
]


def test_citations_outside_the_retrieved_passages_are_dropped() -> None:
    result = check("Tighten the gland nuts to 25 N·m [1][7].", PASSAGES)
    assert [c.n for c in result.citations] == [1]
    assert "[7]" not in result.text and result.text.endswith("[1].")


def test_a_citation_maps_to_source_page_section_and_the_best_quote() -> None:
    citation = check("Heat the bearings to 110 °C [2].", PASSAGES).citations[0]
    assert (citation.source, citation.page, citation.section, citation.chunk_id) == ("m.md", 2, "2.1 S", "c2")
    assert citation.quote == "Heat the new bearings to 110 °C on an induction heater."


def test_a_number_missing_from_the_cited_passage_is_flagged() -> None:
    result = check("Tighten the seal gland nuts to 40 N·m [1].", PASSAGES)
    assert len(result.unsupported) == 1 and "40" in result.unsupported[0]


SETPOINTS = passage(3, "| Signal | Normal | Alarm | Trip |\n|---|---|---|---|\n"
                       "| winding_temp_c | 80 °C to 115 °C | 135 °C | 150 °C |\n"
                       "| bearing_temp_c | 40 °C to 90 °C | 100 °C | 110 °C |")


def test_a_value_taken_from_another_table_row_is_flagged() -> None:
    mixed = check("winding_temp_c: Normal 80 °C to 115 °C; Alarm 90 °C to 100 °C; Trip 150 °C [3].", [SETPOINTS])
    assert len(mixed.unsupported) == 1 and "another table row: 100, 90" in mixed.unsupported[0]
    right = check("winding_temp_c: Normal 80 °C to 115 °C; Alarm 135 °C; Trip 150 °C [3].", [SETPOINTS])
    assert not right.unsupported
    pdf = passage(3, "\n".join(line.strip("| ") for line in SETPOINTS.text.splitlines()))  # rows as a PDF gives them
    mixed = check("winding_temp_c: Normal 80 °C to 115 °C; Alarm 90 °C to 100 °C; Trip 150 °C [3].", [pdf])
    assert len(mixed.unsupported) == 1 and "another table row: 100, 90" in mixed.unsupported[0]


def test_a_copied_sentence_that_flips_a_value_or_drops_a_not_is_flagged() -> None:
    homing = passage(1, "Can hold the values YES / NO. The default value for this parameter is NO.")
    flipped = check("The default value for this parameter is YES [1].", [homing])
    assert len(flipped.unsupported) == 1 and "'no' made 'yes'" in flipped.unsupported[0]
    assert not check("The default value for this parameter is NO [1].", [homing]).unsupported
    drain = passage(1, "If the level is low, do not start the burner. Replace the seal if it leaks, and do not reuse "
                       "the O-rings.")
    dropped = check("If the level is low, start the burner [1].", [drain])
    assert len(dropped.unsupported) == 1 and "a 'not' dropped before 'start'" in dropped.unsupported[0]
    assert not check("If the level is low, never start the burner [1].", [drain]).unsupported
    assert not check("Replace the seal if it leaks [1].", [drain]).unsupported  # the "not" was about the O-rings


def test_step_numbers_copied_as_sentences_are_dropped_and_a_bare_value_is_kept() -> None:
    steps = passage(1, "1. Drain the casing. 2. Tighten the seal gland nuts evenly to 25 N·m.")
    answer = check("Drain the casing [1]. 2 [1]. 25 N·m [1].", [steps])
    assert answer.text == "Drain the casing [1]. 25 N·m [1]." and not answer.unsupported


def test_a_table_row_copied_with_its_pipes_reads_as_label_and_values() -> None:
    table = passage(1, "| Efficiency with economiser, high fire | 92 % (net calorific value) |")
    answer = check("Efficiency with economiser, high fire | 92 % (net calorific value) [1].", [table])
    assert answer.text == "Efficiency with economiser, high fire: 92 % (net calorific value) [1]."
    assert not answer.unsupported


def test_an_uncited_sentence_is_attributed_to_the_passage_that_supports_it() -> None:
    result = check("Heat the new bearings to 110 °C on an induction heater.", PASSAGES)
    assert [c.n for c in result.citations] == [2] and not result.unsupported


def test_a_sentence_no_passage_supports_is_flagged() -> None:
    result = check("Replace the impeller every year [1].", PASSAGES)
    assert result.unsupported == ("Replace the impeller every year.",)


def test_sentences_split_on_stops_and_newlines() -> None:
    assert split_sentences("First one. Second one [1].\nThird") == ["First one.", "Second one [1].", "Third"]


def test_numbers_inside_identifiers_and_numbers_from_the_question_are_not_claims() -> None:
    result = check("On the CP-80 at P-101 the gland nuts take 25 N·m [1].", PASSAGES)
    assert not result.unsupported
    result = check("With 7 megohms measured, tighten the gland nuts to 25 N·m [1].", PASSAGES,
                   question="I measured 7 megohms")
    assert not any("numbers" in u for u in result.unsupported)


def test_a_passage_header_copied_in_front_of_the_answer_is_removed() -> None:
    passages = [
        Passage(1, "c1", "`BED_MESH_OFFSET [X=<value>]`: Applies X and Y offsets to the mesh lookup.", "G-Codes.md",
                "G-Codes.md", None, "BED_MESH_OFFSET", 0.5),
        Passage(2, "c2", "Adaptive bed meshing probes only the area the objects use.", "Bed_Mesh.md", "Bed_Mesh.md",
                None, "Adaptive Meshes", 0.5),
    ]
    echoed = "Bed_Mesh.md, Adaptive Meshes, G-Codes.md, BED_MESH_OFFSET [X=<value>]: Applies X and Y offsets [1]."
    result = check(echoed, passages)
    assert result.text == "BED_MESH_OFFSET [X=<value>]: Applies X and Y offsets [1]."
    assert not result.unsupported
    # words that only happen to be a section's name stay: no file is named
    kept = check("Adaptive Meshes: probe only the area the objects use [2].", passages)
    assert kept.text.startswith("Adaptive Meshes: probe")


def test_a_citation_carries_the_printed_page_number_of_its_passage() -> None:
    printed = Passage(1, "c1", "Drain the oil into a clean container.", "ch10.pdf", "ch10.pdf", 27, None, 0.6,
                      page_label="10-27")
    citation = check("Drain the oil into a clean container [1].", [printed]).citations[0]
    assert (citation.page, citation.page_label) == (27, "10-27")


def test_a_sentence_ending_on_the_colon_of_a_dropped_list_ends_with_a_stop() -> None:
    answer = check("Tighten the seal gland nuts evenly: [1]. Heat the new bearings to 110 °C: [2]", PASSAGES)
    assert answer.text == "Tighten the seal gland nuts evenly [1]. Heat the new bearings to 110 °C [2]."
    assert check("Torque: 25 N·m [1].", PASSAGES).text == "Torque: 25 N·m [1]."  # a colon inside stays
