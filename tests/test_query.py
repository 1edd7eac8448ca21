from copilot.qa.query import plan_query

KNOWN = {"P-101", "P-103", "C-201", "C-202", "M-301"}


def test_assets_and_codes_are_read_from_the_question() -> None:
    plan = plan_query("E105 came up on P-103, what does it mean?", KNOWN)
    assert plan.assets == ("P-103",) and plan.codes == ("E105",)
    assert plan.meaning and not plan.history


def test_model_numbers_are_not_taken_for_assets() -> None:
    assert plan_query("what torque on the CP-80 impeller nut?", KNOWN).assets == ()


def test_last_time_questions_want_the_newest_record() -> None:
    plan = plan_query("last time we swapped the mech seal on P-101?", KNOWN)
    assert plan.history and plan.recency and plan.assets == ("P-101",)


def test_a_period_is_not_a_last_time_question() -> None:
    plan = plan_query("C-201 oil temp creeping up over the last few weeks", KNOWN)
    assert not plan.history and not plan.recency


def test_how_many_litres_is_a_manual_question_but_how_many_jobs_is_history() -> None:
    assert not plan_query("CV-601 gearbox oil change - what grade and how many litres?").history
    assert plan_query("how many emergency jobs on P-103 in 2024?", KNOWN).history


def test_dates_are_read_in_technician_formats() -> None:
    assert plan_query("C-201 E201 on 27 Feb 2025 - what was the reading?", KNOWN).dates == ("2025-02-27",)
    plan = plan_query("C-202 oil filter changes in 2024 - how many?", KNOWN)
    assert plan.dates == ("2024",) and plan.history
    assert plan_query("what was the reading on C-201 at 2025-02-27?", KNOWN).events


def test_ids_shaped_like_the_plants_assets_but_unknown_are_noted() -> None:
    plan = plan_query("when was the seal on P-109 last replaced? and the IM-200 motor?", KNOWN)
    assert plan.unknown_assets == ("P-109",) and plan.assets == ()


def test_why_and_what_was_done_about_a_trip_ask_for_the_work_not_the_alarm_line() -> None:
    for question in ("why did B-801 trip on low water?", "what was done about the M-301 ground fault trip?",
                     "who fixed the C-201 trip last?"):
        plan = plan_query(question, KNOWN | {"B-801"})
        assert plan.history and not plan.events, question
    assert plan_query("when did M-301 trip on ground fault?", KNOWN).events
    assert plan_query("H-501 filter dp when the first E502 came in on 7 May 2025?", KNOWN).days == ("2025-05-07",)
    assert plan_query("C-202 oil filter changes in 2024 - how many?", KNOWN).days == ()
