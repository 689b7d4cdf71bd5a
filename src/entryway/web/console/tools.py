"""The agent tools panel of a case page: what it shows, and one call per tool into
flows.support.agent. No tool takes an address: contacts are chosen by their index on file
(SECURITY.md 32); every tool sends its Reason on to the flow, which refuses a blank one."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData

from entryway.core.cases import CaseState
from entryway.core.staff import Actor, Role
from entryway.errors import InvalidInput
from entryway.flows.ports import Deps, Requester
from entryway.flows.support import agent
from entryway.flows.support.queue import AgentCase
from entryway.web.console.render import text

TOOLS = ("reveal", "verify", "reset", "unlock", "lift", "signout", "reopen")
# How a phone on file takes a reset code from an agent: by text (email contacts by email).
CHANNEL_OF_KIND = {"email": "email", "phone": "sms"}


@dataclass(frozen=True, slots=True)
class Panel:
    """The tools panel: the account summary only for a linked case (a signed-out,
    unverified case shows nothing about any account, SECURITY.md 33)."""

    summary: agent.AccountSummary | None
    verified: bool
    verification_sent: bool
    claimed: str | None  # the contact a signed-out customer typed, already on the page
    revealed: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    notice: str
    revealed: dict[int, str] = field(default_factory=dict)


def offers_tools(actor: Actor, case: AgentCase) -> bool:
    """Agents alone use the tools, and only while the case is not closed."""
    return actor.has(Role.AGENT) and case.case.state is not CaseState.CLOSED


async def panel(
    deps: Deps, actor: Actor, case: AgentCase, revealed: dict[int, str] | None = None
) -> Panel | None:
    """What the panel shows for this case, or None when the actor gets no tools."""
    if not offers_tools(actor, case):
        return None
    summary = await agent.summary(deps, actor, case.case.id) if case.account_id else None
    return Panel(
        summary=summary,
        verified=case.verified,
        verification_sent=case.verification_sent,
        claimed=None if case.account_id else case.case.claimed_contact,
        revealed=revealed or {},
    )


def _index(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 2:
        raise InvalidInput("Choose a contact on file.", field="which")
    return int(raw)


def error_key(tool: str, form: FormData, field_name: str | None) -> str:
    """Where an error shows: the Reason or contact field of that tool's own form."""
    prefix = f"reveal-{text(form, 'which')}" if tool == "reveal" else tool
    if field_name in ("reason", "which", "channel"):
        return f"{prefix}.{'which' if field_name == 'channel' else field_name}"
    return prefix


async def run(
    deps: Deps, actor: Actor, case_id: str, tool: str, form: FormData, who: Requester
) -> Outcome:
    """One tool, with the form's Reason; the flow's answer as the notice."""
    reason = text(form, "reason")
    if tool == "reveal":
        which = _index(text(form, "which"))
        value = await agent.reveal_contact(deps, actor, case_id, which, reason, who)
        return Outcome("Contact revealed. The customer is told.", {which: value})
    if tool == "verify":
        raw = text(form, "which")
        which = _index(raw) if raw else 0
        return Outcome(await agent.send_verification(deps, actor, case_id, reason, which, who))
    if tool == "reset":
        kind_raw, _, index_raw = text(form, "which").partition(":")
        which = _index(index_raw)
        channel = CHANNEL_OF_KIND.get(kind_raw, "")
        sent_to = await agent.send_reset_code(deps, actor, case_id, which, reason, channel, who)
        return Outcome(f"A password reset code was sent to {sent_to}.")
    if tool == "unlock":
        await agent.send_unlock_link(deps, actor, case_id, reason, who)
        return Outcome("A new unlock link was sent to the customer.")
    if tool == "lift":
        await agent.lift_lock(deps, actor, case_id, reason, who)
        return Outcome("Lock lifted. The customer is told.")
    if tool == "reopen":
        await agent.reopen_account(deps, actor, case_id, reason, who)
        return Outcome("Account reopened. The customer is told they can sign in again.")
    ended = await agent.sign_out_everywhere(deps, actor, case_id, reason, who)
    plural = "session" if ended == 1 else "sessions"
    return Outcome(f"Signed out everywhere: {ended} {plural} ended. The customer is told.")
