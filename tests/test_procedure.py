"""A procedure question answered with the section's numbered steps, whole, in order, each cited."""

from copilot.qa.procedure import find, numbered_steps
from copilot.qa.view import IndexView
from copilot.records import Passage
from index.records import Chunk

HEADINGS = ("Pump manual", "6 Maintenance", "6.3 Replacing the mechanical seal")


def chunk(n: int, text: str, headings: tuple[str, ...] = HEADINGS) -> Chunk:
    return Chunk(chunk_id=f"m.md#{n}", text=text, source="m.md", path="m.md", doc_type="manual", page=5,
                 section=headings[-1], headings=headings)


# A list split over three chunks with 20-word overlaps: step 3 cut at the first boundary, repeated whole in the next.
SEAL = [chunk(1, "> **DANGER:** Drain the casing first.\n1. Lock out the motor.\n2. Remove the guard.\n3. Loosen"),
        chunk(2, "3. Loosen the gland nuts and slide the seal off.\n4. Clean the shaft."),
        chunk(3, "4. Clean the shaft.\n5. Fit the new seal and tighten the gland nuts to 35 N·m.\nIt may weep.")]
OTHER = [chunk(4, "1. Heat the bearing to 110 °C.\n2. Slide it on.\n3. Let it cool.",
               ("Pump manual", "6 Maintenance", "6.4 Replacing the bearings"))]
IDF = {"replac": 2.0, "mechan": 3.0, "seal": 2.5, "bearing": 2.0, "gland": 4.0, "nut": 3.0, "torqu": 3.0}


def passage(c: Chunk, n: int) -> Passage:
    return Passage(n, c.chunk_id, c.text, c.source, c.path, c.page, c.section, 0.6)


def test_steps_are_read_across_chunks_whole_and_in_order() -> None:
    steps = numbered_steps(SEAL)
    assert [s.number for s in steps] == [1, 2, 3, 4, 5]
    assert steps[2].text == "Loosen the gland nuts and slide the seal off." and steps[2].chunk is SEAL[1]
    assert steps[4].text.endswith("35 N·m.")


def test_a_bullet_under_a_step_stays_with_it_and_a_list_after_a_paragraph_does_not() -> None:
    text = "1. Lock out.\n2. Check the seal faces:\n   - no chips\n   - no heat marks\n3. Refit.\nNotes:\n- keep it"
    steps = numbered_steps([chunk(1, text)])
    assert [s.text for s in steps] == ["Lock out.", "Check the seal faces: no chips; no heat marks", "Refit."]


def test_a_second_list_or_a_gap_ends_the_steps() -> None:
    second = [chunk(1, "1. Lock out.\n2. Drain.\n3. Open.\n1. Check the level.\n2. Top up.")]
    assert [s.text for s in numbered_steps(second)] == ["Lock out.", "Drain.", "Open."]
    assert len(numbered_steps([chunk(1, "1. Lock out.\n2. Drain.\n4. Open.")])) == 2


def test_a_procedure_question_gets_the_section_whose_heading_names_the_task() -> None:
    everything = IndexView(SEAL + OTHER, IDF)
    found = find("how do I replace the mechanical seal?", [passage(SEAL[2], 1), passage(OTHER[0], 2)], everything)
    assert found is not None and found.section == "6.3 Replacing the mechanical seal" and len(found.steps) == 5
    bearings = find("how do I replace the bearings", [passage(SEAL[0], 1), passage(OTHER[0], 2)], everything)
    assert bearings is not None and bearings.section == "6.4 Replacing the bearings"


def test_a_question_in_other_words_than_the_heading_gets_the_steps_its_words_are_in() -> None:
    """"mech seal is leaking, how do I put in a new one": the heading names the seal, the steps the rest."""
    question = "mech seal is leaking, how do I fit a new one and tighten the gland nuts?"
    found = find(question, [passage(SEAL[0], 1)], IndexView(SEAL + OTHER, IDF))
    assert found is not None and found.section == "6.3 Replacing the mechanical seal"


def test_no_steps_when_the_heading_is_another_task_or_no_procedure_is_asked() -> None:
    everything = IndexView(SEAL + OTHER, IDF)
    # the seal section was retrieved, but its heading does not name a gland-nut torque check: no steps
    assert find("how do I check the gland nut torque", [passage(SEAL[1], 1)], everything) is None
    assert find("what torque for the gland nuts on the mechanical seal", [passage(SEAL[2], 1)], everything) is None
