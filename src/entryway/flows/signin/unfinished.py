"""A right password whose second step never finished: the owner is told (SECURITY.md 29) when
the partial session expires or is cancelled, never for a mistyped code followed by the right
one, and once a day at most.

The notice is written to the outbox when the partial session opens, due just after that
session's deadline, so it goes out even when nobody ever comes back: the delivery worker
sends it when its time comes. Passing the second step takes it back by a conditional write
that no longer matches once it is due, unless another partial session opened since is still
unfinished; then it waits for the last of those.

```mermaid
stateDiagram-v2
    [*] --> waiting: right password, second step pending (due at its deadline + GRACE)
    waiting --> waiting: another partial session opens (due at the later deadline)
    waiting --> [*]: second step passed, no other unfinished partial session (taken back)
    waiting --> due: the deadline passed, or the partial session was cancelled
    due --> sent: delivery worker
```
"""

from __future__ import annotations

from datetime import timedelta

from entryway.core.events import Channel, MessageKind
from entryway.core.secrets import keyed_hash
from entryway.flows import words
from entryway.flows.common import send, session_hash
from entryway.flows.ports import Account, Deps, Session, UnitOfWork

# A second step that was still live when it was checked has committed by then, so the
# worker never sends a notice for a sign-in that is finishing as it falls due.
GRACE = timedelta(minutes=1)
KIND = MessageKind.SECOND_STEP_FAILED


async def expect(deps: Deps, uow: UnitOfWork, account: Account, partial_token: str) -> None:
    """A partial session opened now: write the notice due after its deadline, or move a
    notice still waiting for an earlier partial session to this later one."""
    if not (account.email and account.email_verified):
        return
    opened = await uow.sessions.get(account.site, session_hash(deps, partial_token))
    if opened is None:
        return
    now = deps.clock.now()
    due = opened.absolute_deadline + GRACE
    for waiting in await uow.outbox.waiting(account.site, account.id, KIND, now):
        later = max(due, waiting.next_attempt_at or due)
        if await uow.outbox.reschedule(waiting.id, later, now):
            return
    site = deps.site(account.site)
    mail = deps.messages.email("password_known", site, words.reader_locale(site, account))
    day = now.date().isoformat()
    # Once told today (the dedupe key is kept by a sent notice), the owner is not told again;
    # a notice taken back frees its key.
    await send(
        deps,
        uow,
        site,
        account_id=account.id,
        channel=Channel.EMAIL,
        kind=KIND,
        to=account.email,
        subject=mail.subject,
        body=mail.text,
        html=mail.html,
        dedupe_key=keyed_hash(deps.keys.hashing, "second-step-unfinished", f"{account.id}|{day}"),
        due=due,
        # Filed under the session's own instant: passed() and cancelled() tell the sessions a
        # notice waits for by comparing the two, and a real clock moves between two reads.
        written_at=opened.created_at,
    )


async def passed(deps: Deps, uow: UnitOfWork, finished: Session) -> None:
    """The second step passed on ``finished`` (already deleted): take back the notice it was
    waiting for, unless partial sessions opened since are unfinished (then it waits for the
    last of them)."""
    now = deps.clock.now()
    site, account_id = finished.site, finished.account_id
    for waiting in await uow.outbox.waiting(site, account_id, KIND, now):
        if waiting.created_at > finished.created_at:
            continue  # written for later partial sessions, not for this one
        others = await uow.sessions.partial_since(site, account_id, waiting.created_at)
        if not others:
            await uow.outbox.take_back(waiting.id, now)
            continue
        last = max(min(s.idle_deadline, s.absolute_deadline) for s in others)
        await uow.outbox.reschedule(waiting.id, max(last + GRACE, now), now)


async def cancelled(deps: Deps, uow: UnitOfWork, ended: Session) -> None:
    """``ended`` was cancelled without passing: its notice is due now."""
    now = deps.clock.now()
    for waiting in await uow.outbox.waiting(ended.site, ended.account_id, KIND, now):
        if waiting.created_at <= ended.created_at:
            await uow.outbox.reschedule(waiting.id, now, now)
