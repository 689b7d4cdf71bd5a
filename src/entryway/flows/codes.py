"""Entering and resending one-time codes held by a server-side flow state."""

from __future__ import annotations

from entryway.core.events import Channel, FlowPurpose, MessageKind
from entryway.core.identifiers import IdentifierKind
from entryway.core.masking import mask
from entryway.core.secrets import new_otp, normalize_code, same_secret
from entryway.core.sites import Site
from entryway.errors import CodeRejected, FlowExpired
from entryway.flows import notices
from entryway.flows.common import (
    CODE_LIFETIME,
    DECOY_PREFIX,
    MAX_SENDS_PER_FLOW,
    code_hash,
    code_is_live,
    decoy_hash,
    flow_hash,
    send,
)
from entryway.flows.ports import Deps, FlowState, UnitOfWork


async def deliver_code(
    deps: Deps, uow: UnitOfWork, site: Site, state: FlowState, code: str
) -> None:
    """Send ``code`` to the flow's target, by email or SMS, through the outbox."""
    if state.target_kind == IdentifierKind.EMAIL:
        maker = (
            notices.verify_account
            if state.purpose == FlowPurpose.REGISTRATION
            else notices.verify_contact
        )
        subject, body = maker(site, code)
        await send(
            deps,
            uow,
            site,
            account_id=state.account_id,
            channel=Channel.EMAIL,
            kind=_kind(state.purpose),
            to=state.target,
            subject=subject,
            body=body,
        )
    else:
        subject, body = notices.sms_code(site, code)
        await send(
            deps,
            uow,
            site,
            account_id=state.account_id,
            channel=Channel.SMS,
            kind=_kind(state.purpose),
            to=state.target,
            subject=subject,
            body=body,
        )


def _kind(purpose: FlowPurpose) -> MessageKind:
    return (
        MessageKind.VERIFY_ACCOUNT
        if purpose == FlowPurpose.REGISTRATION
        else MessageKind.VERIFY_CONTACT
    )


async def load(
    deps: Deps, uow: UnitOfWork, site: str, token: str, purpose: FlowPurpose
) -> FlowState:
    """The live flow state for ``token`` on this site and purpose, or FlowExpired."""
    state = await uow.flows.get(site, flow_hash(deps, token), purpose) if token else None
    if state is None or state.consumed_at is not None or deps.clock.now() >= state.expires_at:
        raise FlowExpired("This step has expired. Please start again.")
    return state


async def check_and_consume(
    deps: Deps, site: str, token: str, purpose: FlowPurpose, typed: str, next_stage: str = "done"
) -> FlowState:
    """Accept the flow's current code exactly once (conditional write, SECURITY.md rule 5);
    a wrong code counts against the code's five tries."""
    code = normalize_code(typed)
    async with deps.uow() as uow:
        state = await load(deps, uow, site, token, purpose)
        now = deps.clock.now()
        if not code_is_live(state, now):
            raise CodeRejected(
                "This code has expired or was tried too many times. Ask for a new code.",
                field="code",
            )
        good = (
            code.isdigit()
            and len(code) == 6
            and same_secret(code_hash(deps, state.id_hash, code), state.code_hash)
        )
        if not good:
            await uow.flows.count_failure(site, state.id_hash)
            await uow.commit()
            raise CodeRejected(
                "That code isn't right. Check the latest message and try again.", field="code"
            )
        if not await uow.flows.consume(site, state.id_hash, state.code_hash, now, next_stage):
            raise CodeRejected("That code was already used. Ask for a new code.", field="code")
        await uow.commit()
        return state


async def resend(deps: Deps, site_code: str, token: str, purpose: FlowPurpose) -> str:
    """Issue a fresh code for the flow (the old one stops working); returns the masked target."""
    site = deps.site(site_code)
    async with deps.uow() as uow:
        state = await load(deps, uow, site_code, token, purpose)
        if state.sends >= MAX_SENDS_PER_FLOW:
            raise CodeRejected(
                "You have asked for too many codes. Please start again later.", field="code"
            )
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
            await deliver_code(deps, uow, site, state, code)
        await uow.commit()
    deps.on_message()
    return mask(state.target_kind, state.target)


async def describe(deps: Deps, site_code: str, token: str, purpose: FlowPurpose) -> str:
    """Where the flow's code went, masked, for the page that asks for it."""
    async with deps.uow() as uow:
        state = await load(deps, uow, site_code, token, purpose)
    return mask(state.target_kind, state.target)
