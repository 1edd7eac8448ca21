import pytest

from index.normalize import expand_shorthand, normalize_token, tokenize


@pytest.mark.parametrize("raw, plain", [
    ("REPL", "replace"), ("BRG", "bearing"), ("C/O", "change out"), ("lkg", "leaking"), ("Hyd.", "hydraulic"),
    ("NDE", "non drive end"), ("pump", "pump"),
])
def test_shorthand_tokens_become_plain_words(raw: str, plain: str) -> None:
    assert normalize_token(raw) == plain


def test_a_work_order_line_reads_like_the_manual() -> None:
    assert expand_shorthand("REPL NDE BRG, C/O FILTER, LKG @ SEAL") == (
        "replace non drive end bearing, change out filter, leaking at seal")


def test_tokens_match_across_shorthand_plurals_and_id_spellings() -> None:
    assert set(tokenize("REPL BRGS")) == set(tokenize("replaced bearings"))
    assert "p101" in tokenize("P-101") and "p-101" in tokenize("P-101")


def test_parts_named_by_an_ing_word_keep_their_meaning() -> None:
    assert tokenize("firing order") == ["firing", "order"] and "fire" not in tokenize("firing order")
    assert tokenize("timing belt") != tokenize("time belt") and "case" not in tokenize("pump casing")
    assert tokenize("bearings") == tokenize("bearing") == tokenize("BRG")
    assert tokenize("replacing") == tokenize("replaced")  # other -ing words still meet their verb


def test_in_order_to_is_no_order() -> None:
    assert tokenize("drain it in order to flush the sump") == tokenize("drain it to flush the sump")
    assert "order" in tokenize("the work order") and "order" in tokenize("in order of priority")


QUESTIONS = [
    "What torque for the impeller nut? REPL BRG C/O filter, pump is leaking and noisy",
    "P-101 megger reading low, motor hot and shaking; how often is the clearance checked?",
    "torque torque torque leaking leaking amps amps hot",
    "",
]


def _tokenize_query_with_a_list(text: str) -> list[str]:
    """tokenize_query as it was before the set (issue 24): the reference for its output."""
    from index.normalize import QUERY_SYNONYMS, _stem

    tokens = tokenize(text)
    extra = [_stem(w) for word in expand_shorthand(text).split() for w in QUERY_SYNONYMS.get(word.strip(".,;:?!"), ())]
    return tokens + [t for t in extra if t not in tokens]


@pytest.mark.parametrize("question", QUESTIONS)
def test_query_tokens_are_unchanged_by_the_linear_time_synonym_merge(question: str) -> None:
    from index.normalize import tokenize_query

    assert tokenize_query(question) == _tokenize_query_with_a_list(question)


def test_a_very_long_question_keeps_the_order_and_repeats_of_its_tokens() -> None:
    from index.normalize import tokenize_query

    question = " ".join(QUESTIONS[:3]) * 200  # thousands of words: once quadratic, now linear (bench/)
    assert tokenize_query(question) == _tokenize_query_with_a_list(question)
