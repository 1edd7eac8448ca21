"""Count questions over the work orders: type and topic filters, the replace-work rule, when the route steps aside."""

from copilot.qa.counting import count_records, describe, is_count_question
from copilot.qa.query import plan_query
from index.records import Chunk

KNOWN = {"P-101", "C-202"}


def wo(wo_id: str, date: str, asset: str, wo_type: str, problem: str, action: str) -> Chunk:
    text = (f"wo_id: {wo_id}\nopened: {date}T08:00\nasset: {asset}\nwo_type: {wo_type}\nproblem: {problem}\n"
            f"action: {action}")
    return Chunk(wo_id, text, "work_orders.csv", "work_orders.csv", "work_order", None, wo_id, (), (asset,), date,
                 "record")


RECORDS = [
    wo("WO-24-0001", "2024-02-09", "C-202", "EM", "FILTER DP HIGH - CHG OIL FILTER", "Replaced oil filter KA-4010"),
    wo("WO-24-0002", "2024-05-08", "C-202", "CM", "OIL FILTR BLOCKED AGAIN", "C/O oil fltr, ran ok"),
    wo("WO-24-0003", "2024-06-10", "C-202", "PM", "PM 2000H SVC", "C/O air filter, cooler inspected"),
    wo("WO-23-0004", "2023-06-10", "C-202", "CM", "OIL FILTR BLOCKED", "Replaced oil filter"),
    wo("WO-24-0005", "2024-03-01", "P-101", "INSP", "QTRLY INSP", "seal ok, no leak, vib 1.2"),
    wo("WO-24-0006", "2024-07-01", "P-101", "CM", "LKG @ SEAL", "R&R mech seal kit TS-MS-1"),
    wo("WO-24-0007", "2024-08-01", "P-101", "EM", "MTR TRIP", "Reset overload"),
]


def counted(question: str) -> list[str]:
    found = count_records(question, plan_query(question, KNOWN), RECORDS)
    assert found is not None, question
    return [c.chunk_id for c in found.records]


def test_count_questions_are_told_from_quantity_questions() -> None:
    assert is_count_question("how many emergency jobs on P-103 in 2024?")
    assert is_count_question("C-202 oil filter changes in 2024 - how many?")
    assert not is_count_question("H-501 leak last time - how many litres went back in?")
    assert not is_count_question("how many hours before I change the return filter element?")


def test_a_topic_counts_the_records_that_state_it_in_shorthand_or_words_within_the_dates() -> None:
    assert counted("C-202 oil filter changes in 2024 - how many?") == ["WO-24-0001", "WO-24-0002"]
    assert counted("how many emergency jobs on P-101 in 2024?") == ["WO-24-0007"]
    question = "how many emergency jobs on P-101 in 2024?"
    found = count_records(question, plan_query(question, KNOWN), RECORDS)
    assert found is not None and describe(found, plan_query(question, KNOWN)) == (
        "1 emergency (EM) work order for P-101 in 2024")


def test_replacing_a_part_is_not_counted_from_an_inspection_that_mentions_it() -> None:
    assert counted("how many times did we replace the seal on P-101?") == ["WO-24-0006"]


def test_the_route_steps_aside_without_scope_or_when_no_record_states_the_topic() -> None:
    for question in ("how many oil filter changes?", "how many impeller changes on P-101 in 2024?"):
        assert count_records(question, plan_query(question, KNOWN), RECORDS) is None, question
