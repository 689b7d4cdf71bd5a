"""The pending recovery: what happens after Recovery requested, until it is ready to finish
or ends (core/recovery.py draws the states).

Two jobs ride on the delivery loop (bootstrap) on every instance: ``evaluate_requested``
weighs each new request's evidence (the order lookup runs outside any transaction: it is
network I/O) and ``move_along`` sends the old contacts' notices and ends the wait. Every
move is a conditional write on the state it leaves and every notice a conditional write
on the count already sent, so instances may share both jobs and nothing is sent twice.

The old contacts can stop a live recovery with This wasn't me (a GET only swaps the token
for a flow; the POST uses the link) and the owner's own sign-in stops it too
(``cancel_on_sign_in``, in the sign-in's transaction, the recovery row taken before its
other writes: ``hold``). Once ready, ``wait_until`` holds when
the wait actually ended: the finish link lives ``finish_link_for`` from then.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

from entryway.core.events import AccountStatus, AuditAction, Channel, FlowPurpose, MessageKind
from entryway.core.masking import mask
from entryway.core.recovery import Notice, Outcome, RecoveryState, decide, next_notice
from entryway.core.secrets import keyed_hash
from entryway.core.throttle import DAY, FailureScope, window_start
from entryway.flows.common import audit
from entryway.flows.outbox.recovery_notices import written
from entryway.flows.ports import Account, Deps, Recovery, Rendered, Requester, UnitOfWork
from entryway.flows.recovery import review, steps
from entryway.flows.recovery.cancel import (
    cancel,
    cancel_held,
    cancel_on_sign_in,
    hold,
    open_cancel_link,
)
from entryway.flows.recovery.evidence import failed_key, gather, lookup, signals
from entryway.flows.recovery.review import ReviewView, approve, decline, review_for_case
from entryway.flows.recovery.steps import send_finish_link

# Callers reach every step of the pending recovery here, whichever module holds it.
__all__ = [
    "ReviewView",
    "approve",
    "cancel",
    "cancel_held",
    "cancel_on_sign_in",
    "decline",
    "evaluate_requested",
    "hold",
    "move_along",
    "open_cancel_link",
    "review_for_case",
    "send_finish_link",
]

SWEEP_LIMIT = 1000  # due recoveries moved per round and kind; more wait for the next round
SYSTEM = Requester(user_agent="recovery")  # the jobs' own audit rows
log = logging.getLogger("entryway.recovery")


async def evaluate_requested(deps: Deps) -> int:
    """Weigh each requested recovery's evidence and move it on (wait, review or refuse);
    how many it moved."""
    async with deps.uow() as uow:
        found = await uow.recoveries.in_states([RecoveryState.REQUESTED], SWEEP_LIMIT)
    moved = 0
    for recovery in found:
        moved += await _one(_evaluate(deps, recovery), recovery)
    return moved


async def _one(step: Awaitable[bool], recovery: Recovery) -> int:
    """One recovery's step: a failure is logged and retried next round, never holding up
    the others. The log names the recovery and the exception's class only: an exception's
    text or traceback may carry the statement's values (a message with its link's token,
    the new contact), and logs are read more widely than the database."""
    try:
        return int(await step)
    except Exception as exc:
        log.warning("recovery step failed for recovery %s: %s", recovery.id, type(exc).__name__)
        return 0


async def _evaluate(deps: Deps, recovery: Recovery) -> bool:
    async with deps.uow() as uow:
        account = await uow.accounts.get(recovery.site, recovery.account_id)
    if account is None:
        return False
    orders, how = await lookup(deps, account)
    now = deps.clock.now()
    site = deps.site(recovery.site)
    who = Requester(ip=recovery.requester_ip, user_agent=recovery.requester_agent)
    async with deps.uow() as uow:
        evidence = await gather(deps, uow, recovery, account, orders)
        outcome = decide(evidence)
        if account.status != AccountStatus.ACTIVE:
            outcome = Outcome.REFUSE
        kept = signals(evidence, how, outcome)
        # What was typed for the order is cleared once weighed; the signals stay.
        values: dict[str, Any] = {"order_number": "", "order_total": "", "evidence": kept}
        weighed = replace(recovery, evidence=kept)
        if outcome is Outcome.WAIT:
            until = now + deps.recovery_policy.wait_for(evidence.two_step)
            values |= {
                "state": RecoveryState.WAITING,
                "waiting_since": now,
                "wait_until": until,
                "notices_sent": int(Notice.STARTED),
            }
        elif outcome is Outcome.REVIEW:
            case = await review.open_case(deps, uow, site, account, weighed)
            # The decision is due by when a refusal's answer would come, drawn now: a
            # decline is answered then and no decision by then declines it, so a review
            # is as silent as a decoy and never longer (steps.unverified_due).
            values |= {
                "state": RecoveryState.REVIEW,
                "case_id": case.id,
                "wait_until": steps.unverified_due(deps, weighed),
            }
        else:
            values |= {"state": RecoveryState.REFUSED, "ended_at": now}
        if not await uow.recoveries.move(site.code, recovery.id, RecoveryState.REQUESTED, **values):
            return False  # another instance weighed it: this transaction rolls back
        moved = replace(weighed, **values)
        if outcome is Outcome.WAIT:
            await steps.wait_started(deps, uow, site, account, moved)
            await audit(
                deps,
                uow,
                site.code,
                account.id,
                AuditAction.RECOVERY_WAITING,
                who,
                recovery=recovery.id,
            )
        elif outcome is Outcome.REVIEW:
            await _tell_old_review(deps, uow, account, moved)
            await audit(
                deps,
                uow,
                site.code,
                account.id,
                AuditAction.RECOVERY_REVIEW,
                who,
                recovery=recovery.id,
                case=case.number,
            )
        else:
            await _refused(deps, uow, account, moved, who)
        await uow.commit()
    deps.on_message()
    return True


async def _tell_old_review(
    deps: Deps, uow: UnitOfWork, account: Account, recovery: Recovery
) -> None:
    """The old contacts hear at once that a request is being checked, with This wasn't me."""
    site = deps.site(recovery.site)
    masked = mask(recovery.new_kind, recovery.new_contact)

    def write(channel: Channel, locale: str, link: str | None) -> Rendered:
        assert link is not None
        return written(
            deps, site, locale, channel, "recovery_in_review", sms="recovery_notice",
            new_masked=masked, link=link, notice="started",
        )  # fmt: skip

    await steps.tell_old(
        deps, uow, site, account, recovery, MessageKind.RECOVERY_NOTICE, write, with_link=True
    )


async def _refused(
    deps: Deps, uow: UnitOfWork, account: Account, recovery: Recovery, who: Requester
) -> None:
    """Could not be verified: the new contact hears so when a decoy would (by the rule in
    ``steps.unverified_due``), the old contacts that someone tried (once a day at most),
    and the failure counts toward the account's day."""
    site = deps.site(recovery.site)
    now = deps.clock.now()
    await steps.tell_unverified(deps, uow, site, recovery)
    day = window_start(now, DAY)

    def write(channel: Channel, locale: str, _link: str | None) -> Rendered:
        return written(deps, site, locale, channel, "recovery_tried")

    def once_a_day(to: str) -> str:
        return keyed_hash(
            deps.keys.hashing, "recovery-tried", f"{site.code}|{to}|{day.date().isoformat()}"
        )

    await steps.tell_old(
        deps,
        uow,
        site,
        account,
        recovery,
        MessageKind.RECOVERY_NOTICE,
        write,
        with_link=False,
        dedupe=once_a_day,
    )
    await uow.counters.hit(
        site.code, FailureScope.IDENTITY_FAILED, failed_key(deps, account.id), day, now
    )
    for purpose in (FlowPurpose.RECOVERY_CANCEL, FlowPurpose.RECOVERY_FINISH):
        await uow.links.void_for(site.code, account.id, purpose)
    await audit(
        deps, uow, site.code, account.id, AuditAction.RECOVERY_REFUSED, who, recovery=recovery.id
    )


async def move_along(deps: Deps) -> int:
    """Waiting recoveries: the notice that is due, or, once the wait is over, ready with
    the finish link; ready ones whose link was not used in time expire; reviews nobody
    decided by their deadline are declined. How many moved.
    Only what is due is read (storage filters by time), so however many are waiting, a
    due one is never left behind a page of others that are not."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        waiting = await uow.recoveries.waiting_due(now, SWEEP_LIMIT)
        ready = await uow.recoveries.ready_before(
            now - deps.recovery_policy.finish_link_for, SWEEP_LIMIT
        )
        overdue = await uow.recoveries.review_due(now, SWEEP_LIMIT)
    moved = 0
    for recovery in waiting:
        moved += await _one(_wait_step(deps, recovery), recovery)
    for recovery in ready:
        moved += await _one(_expire(deps, recovery), recovery)
    for recovery in overdue:
        moved += await _one(review.decline_overdue(deps, recovery, SYSTEM), recovery)
    return moved


async def _wait_step(deps: Deps, recovery: Recovery) -> bool:
    start, end = recovery.waiting_since, recovery.wait_until
    if start is None or end is None:
        return False
    now = deps.clock.now()
    if now >= end:
        return await _make_ready(deps, recovery)
    due = next_notice(recovery.notices_sent, start, end, now)
    if due is None:
        return False
    async with deps.uow() as uow:
        # The count first: of two instances, one moves it and the other sends nothing.
        if not await uow.recoveries.noticed(
            recovery.site, recovery.id, recovery.notices_sent, int(due)
        ):
            return False
        fresh = await uow.recoveries.get(recovery.site, recovery.id)
        account = await uow.accounts.get(recovery.site, recovery.account_id)
        if fresh is None or fresh.state is not RecoveryState.WAITING or account is None:
            return False  # stopped meanwhile: roll back, tell no one
        await steps.tell_waiting(deps, uow, deps.site(fresh.site), account, fresh, due)
        await uow.commit()
    deps.on_message()
    return True


async def _make_ready(deps: Deps, recovery: Recovery) -> bool:
    now = deps.clock.now()
    async with deps.uow() as uow:
        if not await uow.recoveries.move(
            recovery.site,
            recovery.id,
            RecoveryState.WAITING,
            state=RecoveryState.READY,
            wait_until=now,
        ):
            return False
        ready = replace(recovery, state=RecoveryState.READY, wait_until=now)
        await send_finish_link(deps, uow, ready)
        await audit(
            deps,
            uow,
            recovery.site,
            recovery.account_id,
            AuditAction.RECOVERY_READY,
            SYSTEM,
            recovery=recovery.id,
        )
        await uow.commit()
    deps.on_message()
    return True


async def _expire(deps: Deps, recovery: Recovery) -> bool:
    """A ready recovery whose finish link's life is over ends as expired."""
    ready_at = recovery.wait_until
    if ready_at is None or deps.clock.now() < ready_at + deps.recovery_policy.finish_link_for:
        return False
    site = deps.site(recovery.site)
    async with deps.uow() as uow:
        if not await steps.end(
            deps, uow, recovery, RecoveryState.EXPIRED, "Expired: the finish link was not used."
        ):
            return False
        await steps.tell_new(
            deps,
            uow,
            site,
            recovery,
            MessageKind.RECOVERY_ENDED,
            "recovery_expired_to_new",
        )
        await audit(
            deps,
            uow,
            site.code,
            recovery.account_id,
            AuditAction.RECOVERY_EXPIRED,
            SYSTEM,
            recovery=recovery.id,
        )
        await uow.commit()
    deps.on_message()
    return True
