"""The verification_questions setting: a store's own list, checked at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from entryway.core.questions import SHIPPED
from entryway.settings import Settings


def test_unset_means_the_shipped_list() -> None:
    assert Settings().question_list().questions == SHIPPED


def test_a_stores_list_replaces_the_shipped_one() -> None:
    own = [{"id": f"q{n}", "text": f"Question {n}?"} for n in range(3)]
    listed = Settings(verification_questions=own).question_list().questions
    assert [(q.id, q.text) for q in listed] == [(o["id"], o["text"]) for o in own]


@pytest.mark.parametrize(
    ("own", "why"),
    [
        ([{"id": "a", "text": "A?"}, {"id": "b", "text": "B?"}], "at least 3"),
        (
            [{"id": "a", "text": "A?"}, {"id": "a", "text": "B?"}, {"id": "c", "text": "C?"}],
            "twice",
        ),
        ([{"id": "a", "text": "A?"}, {"id": "b"}, {"id": "c", "text": "C?"}], "text"),
    ],
)
def test_a_bad_list_refuses_to_start(own: list[dict[str, str]], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Settings(verification_questions=own)


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "ENTRYWAY_VERIFICATION_QUESTIONS",
        '[{"id": "a", "text": "A?"}, {"id": "b", "text": "B?"}, {"id": "c", "text": "C?"}]',
    )
    assert [q.id for q in Settings().question_list().questions] == ["a", "b", "c"]
