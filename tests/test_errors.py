"""An error is said in each reader's language: templates translated first, values after."""

from __future__ import annotations

from datetime import UTC, datetime

from entryway.core.passwords import PasswordPolicy
from entryway.errors import (
    AnswersRejected,
    ContactsOnHold,
    InvalidInput,
    Moment,
    PasswordRejected,
    Said,
    SignInThrottled,
)

FRENCH = {
    "Use at most {limit} characters for your name.": "Utilisez au plus {limit} caractères.",
    "Use at least {n} characters.": "Utilisez au moins {n} caractères.",
    "Passwords must match.": "Les mots de passe doivent être identiques.",
    "Until {until}.": "Jusqu’au {until}.",
    "Enter an answer.": "Entrez une réponse.",
    "Wait {seconds} seconds.": "Attendez {seconds} secondes.",
}


def french(text: str) -> str:
    return FRENCH.get(text, text)


def test_a_template_is_translated_then_filled() -> None:
    exc = InvalidInput(
        "Use at most {limit} characters for your name.", field="name", params={"limit": 100}
    )
    assert exc.message == "Use at most 100 characters for your name." == str(exc)
    assert exc.said(french) == "Utilisez au plus 100 caractères."
    assert exc.said(lambda t: t) == exc.message


def test_password_reasons_with_numbers_are_said_again() -> None:
    reasons = PasswordPolicy().problems("short", [])
    assert reasons == ["Use at least 8 characters."]  # still plain English to compare
    assert isinstance(reasons[0], Said)
    exc = PasswordRejected([*reasons, "Passwords must match."])
    assert exc.message == "Use at least 8 characters. Passwords must match."
    assert (
        exc.said(french)
        == "Utilisez au moins 8 caractères. Les mots de passe doivent être identiques."
    )


def test_a_moment_is_english_unless_the_reader_writes_it() -> None:
    at = datetime(2026, 1, 16, 14, tzinfo=UTC)
    exc = ContactsOnHold(
        "Until {until}.", until=at, params={"until": Moment(at, "16 Jan 2026, 9:00 AM EST")}
    )
    assert exc.message == "Until 16 Jan 2026, 9:00 AM EST."
    assert exc.said(french) == "Jusqu’au 16 Jan 2026, 9:00 AM EST."
    assert exc.said(french, lambda t: f"{t:%d}/01") == "Jusqu’au 16/01."


def test_answers_and_throttles_keep_their_parts() -> None:
    exc = AnswersRejected({"answer_1": "Enter an answer.", "question_2": "Choose a question."})
    assert exc.field == "answer_1" and exc.said(french) == "Entrez une réponse."
    assert exc.said_each(french) == {
        "answer_1": "Entrez une réponse.",
        "question_2": "Choose a question.",
    }
    wait = SignInThrottled("Wait {seconds} seconds.", retry_after=5, params={"seconds": 5})
    assert wait.message == "Wait 5 seconds." and wait.said(french) == "Attendez 5 secondes."
    assert PasswordRejected([wait.sentence()]).said(french) == "Attendez 5 secondes."
