"""The "Can't sign in?" troubleshooter as data: questions whose answers lead to another
question or to an outcome (the journey that fits, with a page saying why).

It asks about the problem, never about the account: no question takes an identifier and no
answer depends on who is asking, so it cannot tell anyone whether an account exists.
Question and outcome ids are URL steps (``/help/sign-in/<id>``) and answer ids are query
values; treat both as stable. Texts may use ``{brand}`` and ``{site}`` (core.articles.fill).

```mermaid
flowchart LR
  start -- forgot --> reach
  reach -- yes --> reset
  reach -- no --> no-access
  start -- rejected --> which-site
  which-site -- here --> reset
  which-site -- elsewhere / unsure --> other-site
  start -- locked --> unlock
  start -- two-step --> two-step
  two-step -- device --> backup
  two-step -- no-code --> code
  two-step -- nothing --> stuck
  start -- code --> code
  start -- suspended --> suspended
  start -- lost --> no-access
  start -- message --> genuine
  start -- other --> ask
```
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from entryway.core.articles import is_slug
from entryway.core.locales import N_

ASK_US = "/help/ask"  # the contact form: where the troubleshooter ends when nothing fits


@dataclass(frozen=True, slots=True)
class Answer:
    id: str
    label: str
    to: str  # the id of a question or an outcome


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    prompt: str
    answers: tuple[Answer, ...]
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where an answer path ends: why this is the way, and the way (``go``)."""

    id: str
    heading: str
    why: tuple[str, ...]  # paragraphs
    go: str = ""  # the journey: a local path (a route, or /help/<article>)
    go_label: str = ""
    article: str = ""  # an article that says more, when ``go`` is not it already
    other_sites: bool = False  # list the other regional sites' sign-in pages


class Troubleshooter:
    """A question tree, checked when built: every answer leads somewhere that exists,
    every node is reachable from the start and no path comes back on itself."""

    def __init__(self, start: str, questions: list[Question], outcomes: list[Outcome]) -> None:
        self.start = start
        self.questions = {q.id: q for q in questions}
        self.outcomes = {o.id: o for o in outcomes}
        ids = [q.id for q in questions] + [o.id for o in outcomes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question and outcome ids must be unique, got {ids}")
        bad = [i for i in ids if not is_slug(i)]
        if bad:
            raise ValueError(f"ids must be URL slugs, got {bad}")
        if start not in self.questions:
            raise ValueError(f"start {start!r} is not a question")
        for q in questions:
            if len(q.answers) < 2 or len({a.id for a in q.answers}) != len(q.answers):
                raise ValueError(f"question {q.id!r} needs two or more answers with unique ids")
            for a in q.answers:
                if a.to not in self.questions and a.to not in self.outcomes:
                    raise ValueError(f"answer {q.id}/{a.id} leads to unknown {a.to!r}")
        for o in outcomes:
            if o.go and not (o.go.startswith("/") and o.go_label):
                raise ValueError(f"outcome {o.id!r}: go must be a local path with a label")
            if not o.go and not o.other_sites:
                raise ValueError(f"outcome {o.id!r} offers no way to go")
        reached: set[str] = set()
        for path in self.paths():
            reached.update(q for q, _ in path)
            reached.add(self.next(*path[-1]) or "")
        unreachable = set(ids) - reached
        if unreachable:
            raise ValueError(f"unreachable from {start!r}: {sorted(unreachable)}")

    def next(self, question: str, answer: str) -> str | None:
        """Where ``answer`` to ``question`` leads, or None when either is unknown."""
        q = self.questions.get(question)
        found = [a.to for a in q.answers if a.id == answer] if q else []
        return found[0] if found else None

    def paths(self) -> Iterator[tuple[tuple[str, str], ...]]:
        """Every way through, as (question, answer) pairs from the start to an outcome;
        raises ValueError on a cycle (a customer could go round it for ever)."""

        def walk(
            at: str, path: tuple[tuple[str, str], ...]
        ) -> Iterator[tuple[tuple[str, str], ...]]:
            if any(q == at for q, _ in path):
                raise ValueError(f"cycle through {at!r}: {path}")
            for a in self.questions[at].answers:
                step = (*path, (at, a.id))
                if a.to in self.outcomes:
                    yield step
                else:
                    yield from walk(a.to, step)

        return walk(self.start, ())


def _q(id: str, prompt: str, *answers: tuple[str, str, str], hint: str = "") -> Question:
    return Question(id, prompt, tuple(Answer(*a) for a in answers), hint)


SIGN_IN_HELP = Troubleshooter(
    start="start",
    questions=[
        _q(
            "start",
            N_("What's stopping you from signing in?"),
            ("forgot", N_("I've forgotten my password"), "reach"),
            ("rejected", N_("My password isn't accepted, but I'm sure it's right"), "which-site"),
            ("locked", N_("I'm told my account is locked"), "unlock"),
            (
                "two-step",
                N_("My password works, but I can't get past two-step verification"),
                "two-step",
            ),
            ("code", N_("A one-time password (OTP) I asked for hasn't arrived"), "code"),
            ("suspended", N_("I was told my account is suspended"), "suspended"),
            (
                "lost",
                N_("I no longer have the email address or phone number on my account"),
                "no-access",
            ),
            (
                "message",
                N_("I got a message about my account and I'm not sure it's from you"),
                "genuine",
            ),
            ("other", N_("Something else"), "ask"),
        ),
        _q(
            "reach",
            N_(
                "Can you still get email or text messages at the email address or phone number "
                "on your account?"
            ),
            ("yes", N_("Yes, at least one of them"), "reset"),
            ("no", N_("No, I no longer have either"), "no-access"),
        ),
        _q(
            "which-site",
            N_("Did you create your account on this site?"),
            ("here", N_("Yes, on {brand} {site}"), "reset"),
            ("elsewhere", N_("No, on another of our regional sites"), "other-site"),
            ("unsure", N_("I'm not sure"), "other-site"),
            hint=N_(
                "Each of our regional sites has its own accounts, even for the same email address."
            ),
        ),
        _q(
            "two-step",
            N_("What's the problem with two-step verification?"),
            ("device", N_("I don't have my phone or authenticator app with me"), "backup"),
            ("no-code", N_("The code doesn't arrive by text message or call"), "code"),
            ("nothing", N_("I can't use any of my methods or backup codes"), "stuck"),
        ),
    ],
    outcomes=[
        Outcome(
            "reset",
            N_("Reset your password"),
            (
                N_(
                    "Enter the email address or mobile number you sign in with. We'll send a "
                    "one-time password (OTP) to a contact on your account, and then you choose "
                    "a new password."
                ),
                N_(
                    "If someone else changed your password, this puts you back in charge: every "
                    "device that is signed in is signed out."
                ),
            ),
            go="/password/forgot",
            go_label=N_("Reset your password"),
            article="forgot-password",
        ),
        Outcome(
            "no-access",
            N_("We'll check it's you another way"),
            (
                N_(
                    "Without your email or phone we can't send you a one-time password, so we "
                    "need to make sure the account is yours before you can get back in."
                ),
                N_(
                    "We'll ask the verification questions you set up and about a recent order, "
                    "then send a one-time password to a new email address or phone number. "
                    "Recovering an account takes a few days, so that its owner can stop a "
                    "request that wasn't theirs."
                ),
            ),
            go="/recovery",
            go_label=N_("Recover your account"),
            article="no-access",
        ),
        Outcome(
            "unlock",
            N_("Unlock your account"),
            (
                N_(
                    "When we lock an account to protect it, we email an “Unlock your account” "
                    "link to the email address on it (or text it when there is no email). Open "
                    "that link to unlock your account."
                ),
                N_("Can't find the message? Resetting your password unlocks your account too."),
            ),
            go="/password/forgot",
            go_label=N_("Reset your password"),
            article="locked",
        ),
        Outcome(
            "backup",
            N_("Use a backup method"),
            (
                N_(
                    "Sign in with your password as usual. On the two-step verification page, "
                    "choose “Use a backup method”: you can enter one of your backup codes or "
                    "use another phone or app you set up."
                ),
            ),
            go="/signin",
            go_label=N_("Sign in"),
            article="two-step",
        ),
        Outcome(
            "stuck",
            N_("Contact us from the two-step verification page"),
            (
                N_(
                    "Sign in with your password as usual. On the two-step verification page, "
                    "choose “contact Customer Service”: your request reaches us with a case "
                    "number, and we can see that your password was right."
                ),
            ),
            go="/signin",
            go_label=N_("Sign in"),
            article="two-step",
        ),
        Outcome(
            "code",
            N_("When a code doesn't arrive"),
            (
                N_(
                    "Codes usually arrive within a minute. A few things are worth checking "
                    "before you ask for another one."
                ),
            ),
            go="/help/code-not-arriving",
            go_label=N_("What to check"),
        ),
        Outcome(
            "other-site",
            N_("Try another regional site"),
            (
                N_(
                    "Each regional site of {brand} has its own accounts: an account made on one "
                    "of them doesn't work on the others, even with the same email address. "
                    "Sign in on the site where you created your account:"
                ),
            ),
            article="wrong-site",
            other_sites=True,
        ),
        Outcome(
            "suspended",
            N_("About a suspended account"),
            (
                N_(
                    "We email the reason when we suspend an account, and say there whether "
                    "you can appeal."
                ),
            ),
            go="/help/suspended",
            go_label=N_("What a suspension means"),
        ),
        Outcome(
            "genuine",
            N_("Check that a message is really from us"),
            (
                N_(
                    "Messages about your account come from one sender and link only to this "
                    "site's own address, and every one of them is also kept in your account."
                ),
            ),
            go="/help/genuine-messages",
            go_label=N_("How to tell"),
        ),
        Outcome(
            "ask",
            N_("Ask us"),
            (
                N_(
                    "We couldn't find a page for that. Tell us what's happening and Customer "
                    "Service will answer you by email."
                ),
                N_(
                    "Never send us your password or a one-time password: we will never ask "
                    "for them."
                ),
            ),
            go=ASK_US,
            go_label=N_("Ask us"),
        ),
    ],
)
