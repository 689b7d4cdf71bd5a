"""The customer's side of the agent tools, on the case page: entering a Verify it's you
code (which links a signed-out case to the account), and picking up a password reset an
agent started."""

from __future__ import annotations

from entryway.core.cases import Author, CaseState
from entryway.core.events import AuditAction, FlowPurpose, MessageKind
from entryway.core.locales import N_
from entryway.errors import CodeRejected, FlowExpired, NotFound
from entryway.flows import codes
from entryway.flows.common import audit
from entryway.flows.outbox.letters import notify_all_of
from entryway.flows.ports import Deps, Requester
from entryway.flows.support.cases import (
    Access,
    CustomerCase,
    customer_view,
    live_reset,
    resolve,
    signed_in,
)
from entryway.flows.support.thread import CLOSED, record, verification_token

NO_CODE = N_("This code has expired or was tried too many times. Ask us for a new one on the case.")
NO_RESET = N_("There is no password reset waiting on this case. Ask us for a new code.")


async def enter_verification_code(
    deps: Deps, site_code: str, access: Access, code: str, who: Requester
) -> CustomerCase:
    """Verify it's you, on the case page: the right code links the case to the account whose
    contact received it. The answers are the same whether or not a code was really sent."""
    account_id = await signed_in(deps, site_code, access)
    site = deps.site(site_code)
    async with deps.uow() as uow:
        case = await resolve(deps, uow, site_code, access, account_id)
        if case.state is CaseState.CLOSED:
            raise FlowExpired(CLOSED)
        if case.verify_sends == 0 or case.verified_at is not None:
            raise CodeRejected(NO_CODE, field="code")
        token = verification_token(case, case.verify_sends)
        try:
            state = await codes.check_and_consume(
                deps, uow, site_code, token, FlowPurpose.CASE_VERIFY, code
            )
        except FlowExpired:  # expired or voided: said like a spent code, real or not
            raise CodeRejected(NO_CODE, field="code") from None
        owner = await uow.accounts.get(site_code, state.account_id or "")
        if owner is None or not await uow.cases.link_account(
            site_code, case.id, owner.id, deps.clock.now()
        ):
            raise CodeRejected(NO_CODE, field="code")
        await record(
            deps,
            uow,
            case,
            Author.SYSTEM,
            "Verify it's you: the customer entered the right code. The case is now linked "
            "to the account of the contact on file that received it.",
        )
        await audit(
            deps, uow, site_code, owner.id, AuditAction.CASE_VERIFIED, who, case=case.number
        )
        await notify_all_of(
            deps,
            uow,
            site,
            owner,
            MessageKind.AGENT_ACTION,
            "case_linked",
            who=who,
            number=case.number,
        )
        await uow.commit()
        fresh = await uow.cases.get(site_code, case.id)
        assert fresh is not None
        view_now = await customer_view(deps, uow, fresh)
    deps.on_message()
    return view_now


async def reset_flow_for(deps: Deps, site_code: str, access: Access) -> str:
    """The token of the password reset an agent started on this case, for the case page to
    hand to the reset code page (then the customer goes on as in Forgot your password?)."""
    account_id = await signed_in(deps, site_code, access)
    async with deps.uow() as uow:
        case = await resolve(deps, uow, site_code, access, account_id)
        if case.state is CaseState.CLOSED:
            raise FlowExpired(CLOSED)
        token = await live_reset(deps, uow, case)
    if token is None:
        raise NotFound(NO_RESET)
    return token
