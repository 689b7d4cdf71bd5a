"""Unusual sign-in: a right password from a device we don't recognise, after recent
failures on the account or from an address with many failures across accounts, must be
confirmed by a one-time code to a contact on file before it signs anyone in.

```mermaid
stateDiagram-v2
    [*] --> code: right password, unusual (code sent to the email, else the phone)
    code --> code: resend (newer code voids older) / wrong code (counts toward the lock)
    code --> signed_in: right code (device recognised from then on; owner told)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from entryway.core.events import AuditAction, FlowPurpose, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.lockout import LockReason, Unusual
from entryway.core.masking import mask
from entryway.core.observe import SignInMethod
from entryway.core.sites import Site
from entryway.errors import AccountSuspended, CodeRejected, FlowExpired, SignInLocked
from entryway.flows import codes, words
from entryway.flows.common import audit, open_session, start_code_flow
from entryway.flows.observe.counting import counts
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.ports import Account, Deps, Requester, UnitOfWork
from entryway.flows.recovery.pending import cancel_held, hold
from entryway.flows.signin import lockout
from entryway.flows.trust import notice

PURPOSE = FlowPurpose.UNUSUAL_SIGN_IN


@dataclass(frozen=True, slots=True)
class MustConfirm:
    """The password was right, but the sign-in is unusual (``reason``, None for a flow from
    before reasons were kept): a code went to ``sent_to``."""

    flow_token: str
    sent_to: str
    reason: Unusual | None = None


@dataclass(frozen=True, slots=True)
class Confirmed:
    session_token: str
    account_id: str
    expires_at: datetime  # the new session's deadlines
    ends_at: datetime


async def challenge(
    deps: Deps, uow: UnitOfWork, site: Site, account: Account, who: Requester, reason: Unusual
) -> MustConfirm:
    """Send the code (within the message quotas) in the caller's transaction; the flow keeps
    ``reason`` so the page and the email say why the code is asked for."""
    if account.email and account.email_verified:
        kind, target = IdentifierKind.EMAIL, account.email
    elif account.phone and account.phone_verified:
        kind, target = IdentifierKind.PHONE, account.phone
    else:  # an active account always has one verified contact
        raise FlowExpired("This step has expired. Please start again.")
    token, code = await start_code_flow(
        deps,
        uow,
        site=site.code,
        purpose=PURPOSE,
        account_id=account.id,
        target_kind=kind,
        target=target,
        who=who,
        note=reason.value,
    )
    state = await codes.load(deps, uow, site.code, token, PURPOSE)
    await codes.deliver_code(deps, uow, site, state, code, words.reader_locale(site, account, who))
    await lockout.suspect(deps, uow, account)  # until a code or a new password says otherwise
    await audit(
        deps,
        uow,
        site.code,
        account.id,
        AuditAction.UNUSUAL_SIGN_IN_CHALLENGED,
        who,
        to=kind,
        reason=reason.value,
    )
    return MustConfirm(flow_token=token, sent_to=mask(kind, target), reason=reason)


async def describe(deps: Deps, site_code: str, flow_token: str) -> MustConfirm:
    """Where the code went (masked) and why it was asked for, for the page that asks for it."""
    async with deps.uow() as uow:
        state = await codes.load(deps, uow, site_code, flow_token, PURPOSE)
    return MustConfirm(
        flow_token=flow_token,
        sent_to=mask(state.target_kind, state.target),
        reason=reason_of(state.note),
    )


def reason_of(note: str) -> Unusual | None:
    try:
        return Unusual(note)
    except ValueError:
        return None


@counts(SignInMethod.CONFIRM_CODE)
async def confirm(
    deps: Deps,
    site_code: str,
    *,
    flow_token: str,
    code: str,
    remember: bool,
    who: Requester,
    client: str = "web",
) -> Confirmed:
    """The right code signs in with a fresh session; wrong codes count toward the lock
    (the password is known to whoever is here, so such a lock asks for a new one). Counted
    for the metrics as a confirmation code."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await codes.load(deps, uow, site_code, flow_token, PURPOSE)
        account = await uow.accounts.get(site_code, state.account_id or "")
    if account is None:
        raise FlowExpired("This step has expired. Please start again.")
    admitted = await lockout.admit(deps, account, who, LockReason.CODE_GUESSING)
    async with deps.uow() as uow:
        # The live recovery's row first (see second_step): before the code is used, the
        # counters cleared or a session opened.
        recovery = await hold(uow, account)
        try:
            await codes.check_and_consume(deps, uow, site_code, flow_token, PURPOSE, code)
        except CodeRejected:
            locked = await lockout.failed(deps, uow, admitted, LockReason.CODE_GUESSING, who)
            await audit(deps, uow, site_code, account.id, AuditAction.UNUSUAL_SIGN_IN_FAILED, who)
            # No second notice: the code's own email told the owner that the password was
            # right; a lock after enough wrong codes sends its own.
            await uow.commit()
            deps.on_message()
            if locked:
                raise SignInLocked(lockout.LOCKED) from None
            raise
        await lockout.clear(deps, uow, admitted.budget)
        await lockout.trust_again(deps, uow, account)
        view = await notice.refuse_sign_in(deps, uow, account, who)
        if view is not None:  # the code was right; a suspended account gets no session
            await uow.commit()
            raise AccountSuspended(notice.SUSPENDED, notice_token=view)
        new_device = await lockout.note_device(deps, uow, account, who)
        # The code confirms an unusual sign-in to a contact on file; it is not a second
        # factor (an inbox is not something held), so the session is a password's alone.
        session = await open_session(
            deps, uow, account, remember=remember, who=who, client=client, amr="pwd"
        )
        await audit(deps, uow, site_code, account.id, AuditAction.UNUSUAL_SIGN_IN_PASSED, who)
        await audit(
            deps, uow, site_code, account.id, AuditAction.SIGN_IN_SUCCEEDED, who, via="code",
            new_device=new_device,
        )  # fmt: skip
        await notify_all_of(
            deps, uow, site, account, MessageKind.UNUSUAL_SIGN_IN, "unusual_sign_in", who=who
        )
        await cancel_held(deps, uow, recovery, account, who)  # the owner is in
        await uow.commit()
    deps.on_message()
    return Confirmed(
        session_token=session.token,
        account_id=account.id,
        expires_at=session.expires_at,
        ends_at=session.ends_at,
    )
