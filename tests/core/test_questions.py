"""Verification questions: the shipped list, normalisation and the rules on answers."""

from __future__ import annotations

import pytest

from entryway.core.questions import (
    ANSWER_COUNT,
    SHIPPED,
    Question,
    QuestionList,
    check_answers,
    context_answers,
    normalize_answer,
)

QUESTIONS = QuestionList()
CONTEXT = context_answers("Ana Lopez", "ana.lopez@example.com", "+12025550143")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Elm Street", "elm street"),
        ("  elm   street  ", "elm street"),
        ("Elm St.", "elm st"),
        ("elm\tst", "elm st"),
        ("ELM STREET", "elm street"),
        ("Ｅｌｍ　Ｓｔｒｅｅｔ", "elm street"),  # full-width letters and space (NFKC)
        ("Straße", "strasse"),  # case-folding, not just lower()
        ("Jean-Luc", "jeanluc"),  # punctuation dropped, not turned into a space
        ("O'Brien!", "obrien"),
        ("«Rex»", "rex"),
        ("ﬁdo", "fido"),  # the fi ligature (NFKC)
        ("Cafe\u0301", "café"),  # combining accent composed
        ("Δέλτα", "δέλτα"),
        ("12 Oak Rd", "12 oak rd"),
        ("...", ""),
    ],
)
def test_normalize_answer(raw: str, expected: str) -> None:
    assert normalize_answer(raw) == expected


def test_normalising_twice_changes_nothing() -> None:
    for raw in ("Ｅｌｍ St.", "Straße", "Cafe\u0301 Noir"):
        once = normalize_answer(raw)
        assert normalize_answer(once) == once


def test_the_shipped_list_has_stable_distinct_ids() -> None:
    ids = [q.id for q in SHIPPED]
    assert len(ids) == len(set(ids)) >= 10
    assert "childhood_street" in ids
    assert all(q.text.endswith("?") for q in SHIPPED)


@pytest.mark.parametrize(
    ("questions", "why"),
    [
        ((Question("a", "A?"), Question("b", "B?")), "at least 3"),
        ((Question("a", "A?"), Question("a", "B?"), Question("c", "C?")), "twice"),
        ((Question("Bad id", "A?"), Question("b", "B?"), Question("c", "C?")), "must match"),
        ((Question("a", " "), Question("b", "B?"), Question("c", "C?")), "text"),
    ],
)
def test_a_store_list_is_checked(questions: tuple[Question, ...], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        QuestionList(questions)


def _choices(*answers: str) -> list[tuple[str, str]]:
    ids = ["first_pet", "childhood_street", "first_film"]
    return list(zip(ids, answers, strict=True))


def test_three_good_answers_come_back_normalised() -> None:
    cleaned, problems = check_answers(QUESTIONS, _choices("Rex", "Elm St.", "Jaws"), CONTEXT)
    assert problems == {}
    assert cleaned == [("first_pet", "rex"), ("childhood_street", "elm st"), ("first_film", "jaws")]


@pytest.mark.parametrize(
    ("answers", "field", "says"),
    [
        (("Bo", "Elm", "Jaws"), "answer_1", "at least 3"),
        (("R.e", "Elm", "Jaws"), "answer_1", "at least 3"),  # 2 characters once normalised
        (("", "Elm", "Jaws"), "answer_1", "Enter an answer"),
        (("!!!", "Elm", "Jaws"), "answer_1", "Enter an answer"),
        (("Rex", "Ana Lopez", "Jaws"), "answer_2", "name"),
        (("Rex", "lopez", "Jaws"), "answer_2", "name"),
        (("Rex", "Elm", "ANA.LOPEZ"), "answer_3", "email"),  # the local part, any case
        (("Rex", "Elm", "ana.lopez@example.com"), "answer_3", "email"),
        (("Rex", "Elm", "+1 202 555 0143"), "answer_3", "phone"),
        (("Rex", "Elm", "I don't know"), "answer_3", "can answer"),
        (("Rex", "rex!", "Jaws"), "answer_2", "its own answer"),
        (("Rex", "x" * 201, "Jaws"), "answer_2", "at most 200"),
    ],
)
def test_answers_refused(answers: tuple[str, str, str], field: str, says: str) -> None:
    cleaned, problems = check_answers(QUESTIONS, _choices(*answers), CONTEXT)
    assert cleaned == []
    assert list(problems) == [field]
    assert says in problems[field]


def test_questions_must_differ_and_exist() -> None:
    choices = [("first_pet", "Rex"), ("first_pet", "Elm"), ("nope", "Jaws")]
    cleaned, problems = check_answers(QUESTIONS, choices, CONTEXT)
    assert cleaned == []
    assert problems == {
        "question_2": "Choose a different question from the others.",
        "question_3": "Choose a question.",
    }


@pytest.mark.parametrize("count", [0, 2, 4])
def test_exactly_three_are_needed(count: int) -> None:
    choices = [(q.id, f"answer {n}") for n, q in enumerate(SHIPPED[:count])]
    assert count != ANSWER_COUNT
    cleaned, problems = check_answers(QUESTIONS, choices, CONTEXT)
    assert cleaned == [] and "question_1" in problems


def test_context_words_include_the_parts() -> None:
    assert {"ana lopez", "ana", "lopez", "analopez", "analopezexamplecom", "12025550143"} <= CONTEXT
