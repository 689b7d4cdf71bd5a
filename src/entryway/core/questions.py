"""Verification questions: the shipped list, how answers are normalised, and what is refused.

The questions follow the OWASP security-questions advice: each asks for something stable (it
does not change over the years), memorable for its owner, and not found in a public profile or
a search (no mother's maiden name, birthplace, school mascot or favourite colour). Answers are
only ever stored hashed, like passwords (SECURITY.md 35), and never grant a session by
themselves (SECURITY.md 17).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from entryway.core.locales import N_
from entryway.errors import Said

ANSWER_COUNT = 3  # questions a customer picks, all different
# Three characters after normalising: short enough for the real answers to these questions
# (a pet called "Rex", a friend called "Ana"), long enough to refuse "a", "x" and "-" kept
# only to get past the form. Guessing resistance comes from needing all three at once.
MIN_ANSWER_LENGTH = 3
MAX_ANSWER_LENGTH = 200  # typed by a person; the hasher takes far more, a page needs no more
MAX_QUESTION_LENGTH = 200
QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Answers that say "I have no answer": each one is the same guess for every account.
NON_ANSWERS = frozenset(
    {"none", "nothing", "nobody", "no one", "idk", "dont know", "i dont know", "unknown"}
)


@dataclass(frozen=True, slots=True)
class Question:
    id: str  # stable: stored with each answer, never renamed
    text: str


# In our own words (translated where shown). Ids are API: add new ones, never rename or reuse one.
SHIPPED: tuple[Question, ...] = (
    Question("first_school_friend", N_("What was the first name of your best friend at school?")),
    Question("childhood_street", N_("On what street did you live when you were ten?")),
    Question("first_pet", N_("What was the name of your first pet?")),
    Question("first_concert", N_("Which band or singer did you first see live?")),
    Question("first_teacher", N_("What was the surname of your first teacher?")),
    Question("childhood_nickname", N_("What did your family call you as a child?")),
    Question("first_job_town", N_("In which town or city was your first job?")),
    Question("first_car", N_("What was the make and model of the first car you owned?")),
    Question("grandparent_street", N_("On what street did a grandparent of yours live?")),
    Question("first_film", N_("What was the first film you saw at a cinema?")),
)


@dataclass(frozen=True, slots=True)
class QuestionList:
    """The questions on offer: the shipped ones, or a store's (``verification_questions``)."""

    questions: tuple[Question, ...] = SHIPPED

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for q in self.questions:
            if not QUESTION_ID.match(q.id):
                raise ValueError(f"question id {q.id!r} must match {QUESTION_ID.pattern}")
            if q.id in seen:
                raise ValueError(f"question id {q.id!r} appears twice")
            if not q.text.strip() or len(q.text) > MAX_QUESTION_LENGTH:
                raise ValueError(f"question {q.id!r} needs a text of 1 to 200 characters")
            seen.add(q.id)
        if len(self.questions) < ANSWER_COUNT:
            raise ValueError(
                f"at least {ANSWER_COUNT} verification questions are needed, "
                f"got {len(self.questions)}"
            )

    def get(self, question_id: str) -> Question | None:
        """The question of that id, or None (an id a store has since removed, say)."""
        return next((q for q in self.questions if q.id == question_id), None)


def normalize_answer(raw: str) -> str:
    """The form an answer is hashed and compared in: NFKC, case-folded, punctuation dropped,
    whitespace collapsed to single spaces.

    So "Elm St." and "elm st" are one answer, as are full-width and ordinary letters: a
    customer is asked years later, and must not fail on how they typed it. Punctuation goes
    first, so "Jean-Luc" becomes "jeanluc", and NFKC comes again after case-folding because
    folding can produce characters that compose."""
    text = unicodedata.normalize("NFKC", raw).casefold()
    text = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def context_answers(
    name: str, email: str | None, phone: str | None, extra: Iterable[str] = ()
) -> set[str]:
    """What an answer may not be, normalised: the name (and each part of it), the email and
    its local part, the phone (and its digits)."""
    out = {normalize_answer(name)}
    out.update(normalize_answer(part) for part in name.split())
    if email:
        out.add(normalize_answer(email))
        out.add(normalize_answer(email.rsplit("@", 1)[0]))
    if phone:
        out.add(normalize_answer(phone))
        out.add("".join(c for c in phone if c.isdigit()))
    out.update(normalize_answer(e) for e in extra)
    out.discard("")
    return out


def check_answers(
    questions: QuestionList, choices: Sequence[tuple[str, str]], context: set[str]
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(question id, normalised answer) pairs, and the problems keyed ``question_N`` or
    ``answer_N`` (1-based, the page's field names); nothing is usable unless problems is empty."""
    problems: dict[str, str] = {}
    if len(choices) != ANSWER_COUNT:
        every = Said(N_("Choose {count} questions and answer each."), count=ANSWER_COUNT)
        return [], {"question_1": every}
    seen_ids: set[str] = set()
    seen_answers: set[str] = set()
    out: list[tuple[str, str]] = []
    for n, (question_id, raw) in enumerate(choices, start=1):
        if questions.get(question_id) is None:
            problems[f"question_{n}"] = N_("Choose a question.")
        elif question_id in seen_ids:
            problems[f"question_{n}"] = N_("Choose a different question from the others.")
        seen_ids.add(question_id)
        answer = normalize_answer(raw[: MAX_ANSWER_LENGTH * 2])
        why = _answer_problem(raw, answer, context, seen_answers)
        if why:
            problems[f"answer_{n}"] = why
        seen_answers.add(answer)
        out.append((question_id, answer))
    return (out if not problems else []), problems


def _answer_problem(raw: str, answer: str, context: set[str], seen: set[str]) -> str:
    if not answer:
        return N_("Enter an answer.")
    if len(raw) > MAX_ANSWER_LENGTH:
        return Said(N_("Use at most {limit} characters."), limit=MAX_ANSWER_LENGTH)
    if len(answer) < MIN_ANSWER_LENGTH:
        return Said(N_("Use at least {limit} letters or digits."), limit=MIN_ANSWER_LENGTH)
    if answer in NON_ANSWERS:
        return N_("Choose a question you can answer.")
    if answer in context or answer.replace(" ", "") in context:  # "+1 202 555 0143" too
        return N_("Don't use your name, email address or phone number as an answer.")
    if answer in seen:
        return N_("Give each question its own answer.")
    return ""
