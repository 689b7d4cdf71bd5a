"""Entering and resending one-time codes held by a server-side flow state."""

from __future__ import annotations

from entryway.core.events import Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.locales import N_
from entryway.core.masking import mask
from entryway.core.secrets import new_otp, normalize_code, same_secret
from entryway.core.sites import Site
from entryway.errors import CodeRejected, FlowExpired
from entryway.flows import words
from entryway.flows.common import (
    CODE_LIFETIME,
    DAILY_FAILURES,
    DECOY_PREFIX,
    MAX_SENDS_PER_FLOW,
    code_hash,
    count_failure,
    count_send,
    decoy_hash,
    flow_hash,
    over_daily_failures,
    owner_key,
    send,
)
from entryway.flows.ports import Deps, FlowState, Requester, UnitOfWork


async def deliver_code(
    deps: Deps, uow: UnitOfWork, site: Site, state: FlowState, code: str, locale: str
) -> None:
    """Send ``code`` to the flow's target, by email or SMS, through the outbox, written in
    ``locale`` (words.reader_locale of the account or request it is for)."""
    if state.target_kind == IdentifierKind.EMAIL:
        if state.purpose == FlowPurpose.UNUSUAL_SIGN_IN:  # says why, from the flow's note
            mail = deps.messages.email("unusual_code", site, locale, code=code, why=state.note)
        elif state.purpose == FlowPurpose.REGISTRATION:
            mail = deps.messages.email("verify_account", site, locale, code=code)
        elif state.purpose == FlowPurpose.CLOSE_ACCOUNT:  # says what it would do, plainly
            mail = deps.messages.email("close_code", site, locale, code=code)
        else:
            mail = deps.messages.email("verify_contact", site, locale, code=code)
        await send(
            deps,
            uow,
            site,
            account_id=_listed_for(state),
            channel=Channel.EMAIL,
            kind=_kind(state.purpose),
            to=state.target,
            subject=mail.subject,
            body=mail.text,
            html=mail.html,
        )
    else:
        await send(
            deps,
            uow,
            site,
            account_id=_listed_for(state),
            channel=Channel.SMS,
            kind=_kind(state.purpose),
            to=state.target,
            subject="",
            body=deps.messages.sms(
                "close_code" if state.purpose == FlowPurpose.CLOSE_ACCOUNT else "one_time_code",
                site,
                locale,
                code=code,
            ),
        )


def _listed_for(state: FlowState) -> str | None:
    """A code for an address not yet on the account is not the account's message."""
    if state.purpose in (
        FlowPurpose.REGISTRATION,
        FlowPurpose.UNUSUAL_SIGN_IN,
        FlowPurpose.CLOSE_ACCOUNT,
    ):
        return state.account_id
    return None


def _kind(purpose: FlowPurpose) -> MessageKind:
    return {
        FlowPurpose.REGISTRATION: MessageKind.VERIFY_ACCOUNT,
        FlowPurpose.UNUSUAL_SIGN_IN: MessageKind.UNUSUAL_SIGN_IN_CODE,
        FlowPurpose.CLOSE_ACCOUNT: MessageKind.CLOSE_CODE,
    }.get(purpose, MessageKind.VERIFY_CONTACT)


async def load(
    deps: Deps, uow: UnitOfWork, site: str, token: str, purpose: FlowPurpose
) -> FlowState:
    """The live flow state for ``token`` on this site and purpose, or FlowExpired."""
    state = await uow.flows.get(site, flow_hash(deps, token), purpose) if token else None
    if state is None or state.consumed_at is not None or deps.clock.now() >= state.expires_at:
        raise FlowExpired("This step has expired. Please start again.")
    return state


WRONG = N_("That code isn't right. Check the latest message and try again.")
USED_UP = N_("This code has expired or was tried too many times. Ask for a new code.")


async def check_and_consume(
    deps: Deps,
    uow: UnitOfWork,
    site: str,
    token: str,
    purpose: FlowPurpose,
    typed: str,
    *,
    next_stage: str = "done",
    account_id: str | None = None,
    owner: str | None = None,
) -> FlowState:
    """Accept the flow's current code exactly once, inside the caller's transaction, so the
    change the code unlocks commits with it or not at all.

    Every try first takes one of the code's five tries by a conditional write, so parallel
    guesses cannot exceed five (SECURITY.md 7); wrong codes also count toward a daily cap per
    account that no resend or new flow resets. A wrong code commits its count and raises.
    ``account_id``, when given, must own the flow (checked before anything is spent).
    ``owner``, when given, is whose daily cap the wrong codes draw on instead of the flow's
    account (or typed identifier): the identity check keys it by its new contact, so that
    neither the cap's state says whether an account exists nor a stranger's wrong codes
    use up the owner's own (owner_key would be the account id for one and not the other).
    """
    code = normalize_code(typed)
    state = await load(deps, uow, site, token, purpose)
    if account_id is not None and state.account_id != account_id:
        raise FlowExpired("This step has expired. Please start again.")
    now = deps.clock.now()
    owner = owner if owner is not None else owner_key(state)
    if await over_daily_failures(deps, uow, site, owner):
        raise CodeRejected(DAILY_FAILURES, field="code")
    stored = await uow.flows.take_try(site, state.id_hash, now)
    if stored is None:
        raise CodeRejected(USED_UP, field="code")
    good = (
        code.isdigit()
        and len(code) == 6
        and same_secret(code_hash(deps, state.id_hash, code), stored)
        and await uow.flows.consume(site, state.id_hash, stored, now, next_stage)
    )
    if not good:
        await count_failure(deps, uow, site, owner)
        await uow.commit()
        raise CodeRejected(WRONG, field="code")
    return state


async def resend(
    deps: Deps, site_code: str, token: str, purpose: FlowPurpose, who: Requester
) -> str:
    """Issue a fresh code for the flow (the old one stops working); returns the masked target."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await load(deps, uow, site_code, token, purpose)
        if state.sends >= MAX_SENDS_PER_FLOW:
            raise CodeRejected(
                "You have asked for too many codes. Please start again later.", field="code"
            )
        await count_send(deps, uow, site_code, owner_key(state), state.target, who)
        decoy = state.code_hash.startswith(DECOY_PREFIX)
        code = new_otp(deps.rng)
        new_hash = decoy_hash(deps) if decoy else code_hash(deps, state.id_hash, code)
        if not await uow.flows.replace_code(
            site_code, state.id_hash, new_hash, deps.clock.now() + CODE_LIFETIME, MAX_SENDS_PER_FLOW
        ):
            raise CodeRejected(
                "You have asked for too many codes. Please start again later.", field="code"
            )
        if not decoy:
            account = await uow.accounts.get(site_code, state.account_id or "")
            locale = words.reader_locale(site, account, who)
            await deliver_code(deps, uow, site, state, code, locale)
        await uow.commit()
    deps.on_message()
    return mask(state.target_kind, state.target)


async def describe(deps: Deps, site_code: str, token: str, purpose: FlowPurpose) -> str:
    """Where the flow's code went, masked, for the page that asks for it."""
    async with deps.uow() as uow:
        state = await load(deps, uow, site_code, token, purpose)
    return mask(state.target_kind, state.target)
