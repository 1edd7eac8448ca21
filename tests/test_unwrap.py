from index.loaders.markdown import parse_markdown
from index.loaders.unwrap import unwrap


def test_wrapped_prose_is_joined_into_its_sentences() -> None:
    text = ("Follow the directions in the Probe Calibrate\n"
            "guide to set the x_offset, y_offset, and z_offset config parameters. This is useful\n"
            "for users that have a probe section in their config file.")
    assert unwrap(text) == text.replace("\n", " ")


def test_a_word_broken_at_a_hyphen_is_one_word_again() -> None:
    text = "The engine-driven fuel pump delivers fuel at high-\npressure to the carburettor and nozzles."
    assert unwrap(text) == "The engine-driven fuel pump delivers fuel at high-pressure to the carburettor and nozzles."


def test_list_items_steps_rows_fields_and_fences_keep_their_lines() -> None:
    text = ("Before you start:\n"
            "- isolate the pump\n"
            "1. Check the level in the gauge glass and wait until the\n"
            "pressure drops.\n"
            "2. Open the valve.\n"
            "Field | Value\n"
            "Rated pressure | 10 bar\n"
            "brief: Add a straight line movement\n"
            "author: thinkyhead\n"
            "```\n"
            "G28\n"
            "G29\n"
            "```")
    assert unwrap(text).split("\n") == [
        "Before you start:", "- isolate the pump",
        "1. Check the level in the gauge glass and wait until the pressure drops.", "2. Open the valve.",
        "Field | Value", "Rated pressure | 10 bar", "brief: Add a straight line movement", "author: thinkyhead",
        "```", "G28", "G29", "```",
    ]


def test_safety_notices_stay_first_on_their_line() -> None:
    text = ("Drain the casing before you open it, and keep the drain\n"
            "valve open.\n"
            "WARNING: The casing can hold hot water. Let it cool\n"
            "below 40 °C.\n"
            "CAUTION\n"
            "The fan can windmill from natural draught.")
    assert unwrap(text).split("\n") == [
        "Drain the casing before you open it, and keep the drain valve open.",
        "WARNING: The casing can hold hot water. Let it cool below 40 °C.",
        "CAUTION", "The fan can windmill from natural draught.",
    ]


def test_table_rows_of_a_pdf_without_pipes_keep_their_lines() -> None:
    text = ("Engines of the series share the bore and differ in stroke and in displacement, as\n"
            "listed:\nModel Bore Stroke Displacement\nO-200 4.06 3.88 201\nO-300 4.06 3.88 301\nO-320 5.13 3.88 320")
    assert unwrap(text).split("\n") == [
        "Engines of the series share the bore and differ in stroke and in displacement, as listed:",
        "Model Bore Stroke Displacement", "O-200 4.06 3.88 201", "O-300 4.06 3.88 301", "O-320 5.13 3.88 320",
    ]


def test_short_complete_lines_are_a_list_without_markers() -> None:
    text = ("The pump is rated for continuous duty at the conditions below and must not\nbe run dry.\n"
            "Pressure 10 bar.\nFlow 5 l/min.")
    assert unwrap(text).split("\n") == [
        "The pump is rated for continuous duty at the conditions below and must not be run dry.", "Pressure 10 bar.",
        "Flow 5 l/min.",
    ]


def test_a_hard_wrapped_markdown_manual_is_indexed_by_whole_sentences() -> None:
    _, blocks = parse_markdown("# Probe\n\nFollow the directions in the Probe Calibrate\nguide to set the offsets.\n\n"
                               "BLTouch{: .floater.framed}\n")
    assert [b.text for b in blocks] == ["Follow the directions in the Probe Calibrate guide to set the offsets.",
                                        "BLTouch"]
