"""Contact Customer Service: a case for an agent, also from a half-finished sign-in."""

from __future__ import annotations

from entryway.core.events import AuditAction, Channel, MessageKind
from entryway.core.secrets import new_token
from entryway.errors import Conflict, InvalidInput
from entryway.flows.common import audit, count_send, send
from entryway.flows.ports import Deps, Requester, SupportCase
from entryway.flows.signin.second_step import pending

MAX_MESSAGE = 4000


async def contact_from_second_step(
    deps: Deps, site_code: str, partial_token: str | None, message: str, who: Requester
) -> str:
    """A customer stuck at the second step writes to us; returns the case number.

    The case records the account, the site and that the password step was passed, for the
    agent; nothing about the account is shown back to the customer.
    """
    me = await pending(deps, site_code, partial_token)
    text = message.strip()
    if not text:
        raise InvalidInput("Tell us what happened.", field="message")
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(f"Use at most {MAX_MESSAGE} characters.", field="message")
    site = deps.site(site_code)
    for _ in range(3):  # case numbers are short, so a collision is possible, if rare
        number = f"{deps.rng.randbelow(10**8):08d}"
        try:
            async with deps.uow() as uow:
                await uow.cases.add(
                    SupportCase(
                        id=new_token(deps.rng, 16),
                        number=number,
                        site=site_code,
                        account_id=me.account.id,
                        topic="two_step",
                        password_passed=True,
                        message=text,
                        status="open",
                        created_at=deps.clock.now(),
                    )
                )
                await audit(
                    deps,
                    uow,
                    site_code,
                    me.account.id,
                    AuditAction.SUPPORT_CASE_OPENED,
                    who,
                    case=number,
                )
                to = me.account.email if me.account.email_verified else me.account.phone
                if to:  # the same message quotas as codes: no flooding the owner
                    await count_send(deps, uow, site_code, me.account.id, to, who)
                    channel = Channel.EMAIL if to == me.account.email else Channel.SMS
                    await send(
                        deps,
                        uow,
                        site,
                        account_id=me.account.id,
                        channel=channel,
                        kind=MessageKind.SUPPORT_CASE,
                        to=to,
                        subject=f"{site.brand}: we received your request {number}",
                        body=f"We received your request to {site.brand} Customer Service "
                        f"({site.name}). Your case number is {number}. An agent will "
                        "reply by email. We will never ask for your password or for "
                        "one-time codes.",
                    )
                await uow.commit()
            deps.on_message()
            return number
        except Conflict:
            continue
    raise Conflict("Please try again.")
