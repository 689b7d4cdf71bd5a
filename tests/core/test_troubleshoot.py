"""The "Can't sign in?" question tree: every way through ends at an outcome that exists."""

from __future__ import annotations

import itertools

import pytest

from entryway.core.articles import SHIPPED, fill, placeholders
from entryway.core.troubleshoot import (
    ASK_US,
    SIGN_IN_HELP,
    Answer,
    Outcome,
    Question,
    Troubleshooter,
)

# Journeys the outcomes may send to besides articles; tests/web/test_help.py checks each is
# a real route of the app.
JOURNEYS = {"/password/forgot", "/signin", "/recovery", ASK_US}


def test_every_answer_path_ends_at_an_outcome() -> None:
    paths = list(SIGN_IN_HELP.paths())
    assert paths
    for path in paths:
        assert path[0][0] == SIGN_IN_HELP.start
        for (question, answer), (after, _) in itertools.pairwise(path):
            assert SIGN_IN_HELP.next(question, answer) == after
        assert SIGN_IN_HELP.next(*path[-1]) in SIGN_IN_HELP.outcomes, path


def test_every_answer_of_every_question_is_on_some_path() -> None:
    walked = {step for path in SIGN_IN_HELP.paths() for step in path}
    every = {(q.id, a.id) for q in SIGN_IN_HELP.questions.values() for a in q.answers}
    assert walked == every


def test_every_outcome_and_question_is_reached() -> None:
    reached = {SIGN_IN_HELP.next(*path[-1]) for path in SIGN_IN_HELP.paths()}
    assert reached == set(SIGN_IN_HELP.outcomes)
    asked = {q for path in SIGN_IN_HELP.paths() for q, _ in path}
    assert asked == set(SIGN_IN_HELP.questions)


def test_the_journeys_the_issue_names_are_all_outcomes() -> None:
    goes = {(o.go, o.article, o.other_sites) for o in SIGN_IN_HELP.outcomes.values()}
    assert ("/password/forgot", "forgot-password", False) in goes  # reset
    assert ("/recovery", "no-access", False) in goes  # the identity check
    assert ("/password/forgot", "locked", False) in goes  # unlock: the emailed link, or reset
    assert ("/signin", "two-step", False) in goes  # Use a backup method
    assert ("", "wrong-site", True) in goes  # the other regional sites
    assert ("/help/suspended", "", False) in goes
    assert ("/help/code-not-arriving", "", False) in goes
    assert (ASK_US, "", False) in goes  # when nothing fits


def test_every_outcome_leads_to_a_journey_or_an_article_that_exists() -> None:
    for outcome in SIGN_IN_HELP.outcomes.values():
        if outcome.go.startswith("/help/") and outcome.go != ASK_US:
            assert outcome.go.removeprefix("/help/") in SHIPPED, outcome
        elif outcome.go:
            assert outcome.go in JOURNEYS, outcome
        else:
            assert outcome.other_sites, outcome
        assert not outcome.article or outcome.article in SHIPPED, outcome


def test_nothing_fits_ends_at_ask_us() -> None:
    assert SIGN_IN_HELP.next("start", "other") == "ask"
    assert SIGN_IN_HELP.outcomes["ask"].go == ASK_US


def test_texts_use_only_the_placeholders_the_pages_fill() -> None:
    texts = [q.prompt for q in SIGN_IN_HELP.questions.values()]
    texts += [q.hint for q in SIGN_IN_HELP.questions.values()]
    texts += [a.label for q in SIGN_IN_HELP.questions.values() for a in q.answers]
    texts += [p for o in SIGN_IN_HELP.outcomes.values() for p in (o.heading, *o.why)]
    used = {name for text in texts for name in placeholders(text)}
    assert used <= {"brand", "site"}
    assert "{" not in fill(" ".join(texts), {"brand": "B", "site": "S"})


def test_ids_are_stable() -> None:
    """They are addresses (/help/sign-in/<id>?answer=<id>) people bookmark and link."""
    assert set(SIGN_IN_HELP.questions) == {"start", "reach", "which-site", "two-step"}
    assert set(SIGN_IN_HELP.outcomes) == {
        "reset", "no-access", "unlock", "backup", "stuck", "code", "other-site",
        "suspended", "genuine", "ask",
    }  # fmt: skip
    assert [a.id for a in SIGN_IN_HELP.questions["start"].answers] == [
        "forgot", "rejected", "locked", "two-step", "code", "suspended", "lost", "message",
        "other",
    ]  # fmt: skip


def test_an_unknown_question_or_answer_leads_nowhere() -> None:
    assert SIGN_IN_HELP.next("start", "") is None
    assert SIGN_IN_HELP.next("start", "nope") is None
    assert SIGN_IN_HELP.next("nope", "forgot") is None
    assert SIGN_IN_HELP.next("reach", "forgot") is None  # an answer of another question


# -- the checks that keep a broken tree from ever being built ------------------------------

DONE = Outcome("done", "Done", ("Why.",), go="/signin", go_label="Sign in")


def q(id: str, *to: str) -> Question:
    return Question(id, "Which?", tuple(Answer(f"a{i}", "A", t) for i, t in enumerate(to)))


@pytest.mark.parametrize(
    ("questions", "outcomes", "message"),
    [
        ([q("start", "done", "nowhere")], [DONE], "leads to unknown 'nowhere'"),
        ([q("start", "next", "done"), q("next", "start", "done")], [DONE], "cycle"),
        ([q("start", "done", "done"), q("orphan", "done", "done")], [DONE], "unreachable"),
        ([q("start", "done", "done")], [DONE, Outcome("lost", "L", ("W",), go="/x", go_label="X")],
         "unreachable"),
        ([q("start", "done")], [DONE], "two or more answers"),
        ([q("start", "done", "done"), q("done", "done", "done")], [DONE], "unique"),
        ([q("Start", "done", "done")], [DONE], "slugs"),
        ([q("start", "bad", "done")], [DONE, Outcome("bad", "B", ("W",))], "no way to go"),
        ([q("start", "bad", "done")],
         [DONE, Outcome("bad", "B", ("W",), go="https://evil.example", go_label="Go")],
         "local path"),
    ],
)  # fmt: skip
def test_a_broken_tree_is_refused(
    questions: list[Question], outcomes: list[Outcome], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Troubleshooter("start", questions, outcomes)
