"""Recovery requested: what a finished identity check leaves behind (identity_check.py).

A real, active account gets a recovery in state ``requested`` with the check's evidence;
every check's new contact hears at once that we will write again, and when no recovery
was opened (no such account, or one live already) it hears "we could not verify it" after
the refusal delay, as a refused recovery's new contact does. So what arrives, and when,
never tells the requester which case theirs was (SECURITY.md 4, 17).
"""

from __future__ import annotations

from entryway.core.events import AccountStatus, AuditAction, Channel, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.recovery import RecoveryState
from entryway.core.secrets import new_token
from entryway.core.sites import Site
from entryway.flows.common import audit, send
from entryway.flows.outbox import recovery_notices as words
from entryway.flows.ports import Account, Deps, FlowState, Recovery, Requester, UnitOfWork


def evidence_of(detail: dict[str, object], *, contact_taken: bool) -> dict[str, bool]:
    """The signals the check established, named as core.recovery.Evidence names them (never
    an answer); the order's signals are added once the lookup has answered (pending.py)."""
    return {
        "questions_set": bool(detail.get("set")),
        "questions_right": bool(detail.get("q")),
        "over_cap": bool(detail.get("cap")),
        "contact_taken": contact_taken,
    }


async def open_recovery(
    deps: Deps,
    uow: UnitOfWork,
    account: Account,
    state: FlowState,
    contact_taken: bool,
    who: Requester,
) -> bool:
    """The recovery row for a finished check, in the caller's transaction, audited; false
    when the account has a live one already (one per account, SECURITY.md 34): then nothing
    is opened, and the requester is answered exactly as for any other refusal."""
    detail = state.detail
    recovery = Recovery(
        id=new_token(deps.rng, 16),
        site=account.site,
        account_id=account.id,
        state=RecoveryState.REQUESTED,
        new_kind=state.target_kind,
        new_contact=state.target,
        created_at=deps.clock.now(),
        questions_right=bool(detail.get("q")),
        # Typed values, kept only until the check is evaluated (pending.py clears them).
        order_number=str(detail.get("order_number", "")),
        order_total=str(detail.get("order_total", "")),
        two_step=account.two_step,
        evidence=evidence_of(detail, contact_taken=contact_taken),
        requester_ip=who.ip,
        requester_agent=who.user_agent[:300],
    )
    added = await uow.recoveries.add(recovery)
    outcome = {"recovery": recovery.id} if added else {"refused": "live_recovery"}
    await audit(deps, uow, account.site, account.id, AuditAction.IDENTITY_CHECKED, who, **outcome)
    return added


async def tell_new_contact(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    state: FlowState,
    account: Account | None,
    *,
    refused: bool,
) -> None:
    """Recovery received, at once, in every case; with ``refused`` (nothing was opened),
    "we could not verify it" too, written now and due after the refusal delay. A real,
    active account's messages carry its id (its Message Center lists them); others none."""
    now = deps.clock.now()
    email = state.target_kind == IdentifierKind.EMAIL
    active = account is not None and account.status == AccountStatus.ACTIVE
    received = words.recovery_received(site) if email else ("", words.recovery_received_sms(site))
    messages = [(MessageKind.RECOVERY_RECEIVED, received, now)]
    if refused:
        later = (
            words.recovery_unverified(site) if email else ("", words.recovery_unverified_sms(site))
        )
        due = now + deps.recovery_policy.refusal_delay
        messages.append((MessageKind.RECOVERY_UNVERIFIED, later, due))
    for kind, (subject, body), at in messages:
        await send(
            deps,
            uow,
            site,
            account_id=account.id if account is not None and active else None,
            channel=Channel.EMAIL if email else Channel.SMS,
            kind=kind,
            to=state.target,
            subject=subject,
            body=body,
            due=at,
        )
