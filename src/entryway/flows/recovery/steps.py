"""Steps the pending recovery and its review share: who the old contacts are, their This
wasn't me links, messages to the new contact, the finish link, and ending a recovery.

Every link is a 256-bit token kept only as a keyed hash in ``links``, with the recovery's
id as its reason, and names the site's configured origin (SECURITY.md 12, figures).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from entryway.core.cases import Author, CaseState
from entryway.core.events import Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.masking import mask
from entryway.core.recovery import LIVE_STATES, Notice, RecoveryState
from entryway.core.sites import Site
from entryway.flows.common import add_link, send
from entryway.flows.outbox.recovery_notices import new_contact_locale, written
from entryway.flows.ports import Account, Deps, Recovery, Rendered, UnitOfWork
from entryway.flows.support.thread import record
from entryway.flows.words import reader_locale

CANCEL_PATH = "/recovery/cancel?token="
FINISH_PATH = "/recovery/finish?token="
# A This wasn't me link lives while its recovery does: every end voids the account's
# links (``end``). The cap only bounds a link whose recovery somehow never ends; it is
# longer than the longest wait plus a review and the finish link's day.
CANCEL_LINK_CAP = timedelta(days=60)
ROLL_STEPS = 10**6  # the random spread of "we could not verify it", in millionths

# (channel, locale) -> one message to an old contact, given that contact's link (or None).
Writer = Callable[[Channel, str, str | None], Rendered]


def old_contacts(account: Account) -> list[tuple[Channel, str]]:
    """The verified email and phone on file: the contacts a recovery would replace."""
    found = []
    if account.email and account.email_verified:
        found.append((Channel.EMAIL, account.email))
    if account.phone and account.phone_verified:
        found.append((Channel.SMS, account.phone))
    return found


async def cancel_link(deps: Deps, uow: UnitOfWork, site: Site, recovery: Recovery) -> str:
    """A new This wasn't me link for one contact and one notice; its absolute URL."""
    token = await add_link(
        deps, uow, site.code, recovery.account_id, FlowPurpose.RECOVERY_CANCEL, recovery.id,
        CANCEL_LINK_CAP,
    )  # fmt: skip
    return site.url(CANCEL_PATH + token)


async def tell_old(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    account: Account,
    recovery: Recovery,
    kind: MessageKind,
    write: Writer,
    *,
    with_link: bool,
    dedupe: Callable[[str], str] | None = None,
) -> bool:
    """One message to each old contact, each with a link of its own when ``with_link`` (so
    one forwarded email does not carry the other contact's link), in the account's
    language; true if any was written."""
    wrote = False
    locale = reader_locale(site, account)
    for channel, to in old_contacts(account):
        link = await cancel_link(deps, uow, site, recovery) if with_link else None
        message = write(channel, locale, link)
        wrote |= await send(
            deps,
            uow,
            site,
            account_id=account.id,
            channel=channel,
            kind=kind,
            to=to,
            subject=message.subject,
            body=message.text,
            html=message.html,
            dedupe_key=dedupe(to) if dedupe else None,
        )
    return wrote


async def tell_new(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    recovery: Recovery,
    kind: MessageKind,
    name: str,
    *,
    due: datetime | None = None,
    **values: Any,
) -> None:
    """One message to the new contact (proven by a code, not yet on the account), from
    the template ``name`` in the request's language. Filed under the account, so once the
    recovery completes its owner can check it was ours."""
    channel = Channel.EMAIL if recovery.new_kind == IdentifierKind.EMAIL else Channel.SMS
    locale = new_contact_locale(site, recovery)
    message = written(deps, site, locale, channel, name, **values)
    await send(
        deps,
        uow,
        site,
        account_id=recovery.account_id,
        channel=channel,
        kind=kind,
        to=recovery.new_contact,
        subject=message.subject,
        body=message.text,
        html=message.html,
        due=due,
    )


async def send_finish_link(deps: Deps, uow: UnitOfWork, recovery: Recovery) -> None:
    """Finish recovering your account, to the new contact: a single-use link (older ones
    void) that lives ``policy.finish_link_for``, in the caller's transaction."""
    site = deps.site(recovery.site)
    until = deps.clock.now() + deps.recovery_policy.finish_link_for
    await uow.links.void_for(site.code, recovery.account_id, FlowPurpose.RECOVERY_FINISH)
    token = await add_link(
        deps, uow, site.code, recovery.account_id, FlowPurpose.RECOVERY_FINISH, recovery.id,
        deps.recovery_policy.finish_link_for,
    )  # fmt: skip
    url = site.url(FINISH_PATH + token)
    await tell_new(
        deps,
        uow,
        site,
        recovery,
        MessageKind.RECOVERY_FINISH,
        "recovery_finish",
        link=url,
        until=until,
    )


async def end(
    deps: Deps,
    uow: UnitOfWork,
    recovery: Recovery,
    state: RecoveryState,
    entry: str,
    staff_id: str | None = None,
    **values: Any,
) -> bool:
    """Move a live recovery to an end ``state`` (conditional on the state it was read in);
    its links and the flows opened from them stop working, and its review case, if any,
    is solved with ``entry`` on the thread. False (nothing done) if it moved meanwhile or
    had ended already."""
    if recovery.state not in LIVE_STATES:
        return False  # an ended recovery never moves again
    now = deps.clock.now()
    moved = await uow.recoveries.move(
        recovery.site, recovery.id, recovery.state, state=state, ended_at=now, **values
    )
    if not moved:
        return False
    for purpose in (FlowPurpose.RECOVERY_CANCEL, FlowPurpose.RECOVERY_FINISH):
        await uow.links.void_for(recovery.site, recovery.account_id, purpose)
        await uow.flows.void_for(recovery.site, recovery.account_id, purpose)
    if recovery.case_id:
        await close_case(deps, uow, recovery, entry, staff_id)
    return True


async def close_case(
    deps: Deps, uow: UnitOfWork, recovery: Recovery, entry: str, staff_id: str | None
) -> None:
    """The review case is done with: ``entry`` on its thread, and solved (the sweep closes
    it a week on, like any solved case)."""
    case = await uow.cases.get(recovery.site, recovery.case_id or "")
    if case is None:
        return
    await record(deps, uow, case, Author.SYSTEM, entry, staff_id)
    if case.state not in (CaseState.SOLVED, CaseState.CLOSED):
        # The decision (or the recovery's end) is what the case waited for: no first reply
        # is due any more, so nothing counts it as due or overdue, however it is listed.
        await uow.cases.move(
            case.site,
            case.id,
            case.state,
            state=CaseState.SOLVED,
            solved_at=deps.clock.now(),
            first_reply_due=None,
        )


async def tell_waiting(
    deps: Deps, uow: UnitOfWork, site: Site, account: Account, recovery: Recovery, notice: Notice
) -> None:
    """One of the old contacts' notices while the recovery waits, each with its own This
    wasn't me link and the time after which it could complete."""
    after = recovery.wait_until or deps.clock.now()
    masked = mask(recovery.new_kind, recovery.new_contact)

    def write(channel: Channel, locale: str, link: str | None) -> Rendered:
        assert link is not None
        return written(
            deps, site, locale, channel, "recovery_notice",
            notice=notice.name.lower(), after=after, new_masked=masked, link=link,
        )  # fmt: skip

    await tell_old(
        deps, uow, site, account, recovery, MessageKind.RECOVERY_NOTICE, write, with_link=True
    )


async def wait_started(
    deps: Deps, uow: UnitOfWork, site: Site, account: Account, recovery: Recovery
) -> None:
    """The waiting period began (strong evidence, or a reviewer's approval): the new contact
    hears the date, the old contacts the first notice. ``recovery`` carries wait_until."""
    after = recovery.wait_until or deps.clock.now()
    await tell_new(
        deps, uow, site, recovery, MessageKind.RECOVERY_SCHEDULED, "recovery_scheduled",
        after=after,
    )  # fmt: skip
    await tell_waiting(deps, uow, site, account, recovery, Notice.STARTED)


def unverified_due(deps: Deps, recovery: Recovery) -> datetime:
    """When "we could not verify it" goes out for this recovery: the one rule a decoy's
    answer follows too (``RecoveryPolicy.unverified_due``, a random spread after the
    refusal delay from the request), so its time tells nothing about the account. A
    recovery in review drew its time when it went there (its decision deadline, in
    ``wait_until``): a decline or a stop is answered then, never on a second draw, which
    would let the earlier of two draws show through."""
    if recovery.state is RecoveryState.REVIEW and recovery.wait_until is not None:
        return max(deps.clock.now(), recovery.wait_until)
    return deps.recovery_policy.unverified_due(
        asked_at=recovery.created_at,
        roll=deps.rng.randbelow(ROLL_STEPS) / ROLL_STEPS,
        now=deps.clock.now(),
    )


async def tell_unverified(deps: Deps, uow: UnitOfWork, site: Site, recovery: Recovery) -> None:
    """We could not verify it (refused, declined, or stopped before a date was given): the
    words and the timing a decoy's requester gets too, so none can tell such a recovery
    from an identifier with no account."""
    await tell_new(
        deps,
        uow,
        site,
        recovery,
        MessageKind.RECOVERY_UNVERIFIED,
        "recovery_unverified",
        due=unverified_due(deps, recovery),
    )
