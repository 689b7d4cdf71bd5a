"""Recovery requested: what a finished identity check leaves behind (identity_check.py).

A real, active account gets a recovery in state ``requested`` with the check's evidence;
every check's new contact hears at once that we will write again, and when no recovery
was opened (no such account, or one live already) it hears "we could not verify it" when
RecoveryPolicy.unverified_due says, the one time rule of refusals and declined reviews
too. So what arrives, and when, never tells the requester which case theirs was
(SECURITY.md 4, 17).
"""

from __future__ import annotations

from entryway.core.events import AccountStatus, AuditAction, Channel, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.recovery import RecoveryState
from entryway.core.secrets import new_token
from entryway.core.sites import Site
from entryway.flows import words
from entryway.flows.common import audit, send
from entryway.flows.outbox.recovery_notices import written
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


# The roll that spreads "we could not verify it" over a refusal delay, in millionths.
ROLL_STEPS = 10**6


async def conclude(
    deps: Deps, uow: UnitOfWork, site: Site, state: FlowState, who: Requester
) -> None:
    """What a check whose code was right leaves behind, in the caller's transaction: the
    recovery (for a real, active account), the new contact's messages, and a flow that
    keeps nothing evidential."""
    # These three are read in every case, so a decoy does the reads a real check does (the
    # live recovery under an id no account has, when there is no account). What is left, a
    # real account's recovery row and audit entry (two small inserts in this transaction),
    # is not matched by writing fake rows: the audit log is append-only and real, and the
    # outbox writes and the commit, alike for every check, weigh far more.
    account = await uow.accounts.get(site.code, state.account_id or "")
    holder = await uow.accounts.find(
        site.code, Identifier(IdentifierKind(state.target_kind), state.target)
    )
    await uow.recoveries.live_for(site.code, state.account_id or "")
    opened = False
    if account is not None and account.status == AccountStatus.ACTIVE:
        taken = holder is not None and holder.id != account.id
        opened = await open_recovery(deps, uow, account, state, taken, who)
    locale = words.request_locale(site, who)
    await tell_new_contact(deps, uow, site, state, account, refused=not opened, locale=locale)
    # The typed order, whether the answers were right and the identifier end with the
    # check: the recovery row holds what is weighed, and the done page needs none of it.
    await uow.flows.advance(site.code, state.id_hash, "done", "done", detail={})


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
        requester_locale=words.request_locale(deps.site(account.site), who),
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
    locale: str,
) -> None:
    """Recovery received, at once, in every case; with ``refused`` (nothing was opened),
    "we could not verify it" too, written now and due on a refusal's time rule (the refusal
    delay, then a random share of it more, as a person's decision would take). A real,
    active account's messages carry its id (its Message Center lists them); others none."""
    now = deps.clock.now()
    email = state.target_kind == IdentifierKind.EMAIL
    active = account is not None and account.status == AccountStatus.ACTIVE
    channel = Channel.EMAIL if email else Channel.SMS
    received = written(deps, site, locale, channel, "recovery_received")
    messages = [(MessageKind.RECOVERY_RECEIVED, received, now)]
    if refused:
        later = written(deps, site, locale, channel, "recovery_unverified")
        roll = deps.rng.randbelow(ROLL_STEPS) / ROLL_STEPS
        due = deps.recovery_policy.unverified_due(asked_at=now, roll=roll, now=now)
        messages.append((MessageKind.RECOVERY_UNVERIFIED, later, due))
    for kind, message, at in messages:
        await send(
            deps,
            uow,
            site,
            account_id=account.id if account is not None and active else None,
            channel=channel,
            kind=kind,
            to=state.target,
            subject=message.subject,
            body=message.text,
            html=message.html,
            due=at,
        )
