"""Download your data: everything we keep about a signed-in customer's account, as JSON,
secrets left out (UK and EU GDPR Art. 15 and 20, Canada's PIPEDA principle 9).

What is left out can prove who someone is or open the account: the password's hash,
authenticator keys, backup codes, verification answers, one-time codes and every token.
Their existence is stated, never their value. A staff member's written reason stays in
the audit log; what the customer did and what was done to the account is all here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from entryway.core.events import AuditAction
from entryway.core.masking import mask
from entryway.core.webhooks import by_staff
from entryway.flows.account.account import Current, messages
from entryway.flows.account.two_step import require_recent
from entryway.flows.common import audit
from entryway.flows.ports import Deps, Requester

FORMAT = "entryway.account-data/1"
MESSAGES_LIMIT = 1000
ACTIVITY_LIMIT = 1000
LEFT_OUT = (
    "the password (we keep only a hash of it, which is not exported either)",
    "authenticator app keys and backup codes",
    "the answers to verification questions (kept hashed)",
    "one-time codes and links, and the tokens of sessions and apps",
)


def _kind(address: str) -> str:
    return "email" if "@" in address else "phone"


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


async def export(deps: Deps, me: Current, who: Requester) -> dict[str, Any]:
    """The account's data as one JSON-ready document; the export itself is audited.
    Forbidden unless the password was given in the last ten minutes."""
    require_recent(deps, me)  # a stolen session alone does not take a copy of it all
    account = me.account
    site = deps.site(account.site)
    now = deps.clock.now()
    async with deps.uow() as uow:
        factors = await uow.two_step.factors(site.code, account.id)
        passkeys = await uow.passkeys.for_account(site.code, account.id)
        answers = await uow.questions.answers(site.code, account.id)
        sessions = await uow.sessions.list_for(site.code, account.id, now)
        activity = await uow.audit.recent(site.code, account.id, ACTIVITY_LIMIT)
        cases = await uow.cases.for_account(site.code, account.id)
        browsers = await uow.two_step.browsers(site.code, account.id, now)
        backup_left = await uow.two_step.backup_codes_left(site.code, account.id)
        measures = await uow.suspensions.for_account(site.code, account.id)
        await audit(deps, uow, site.code, account.id, AuditAction.DATA_EXPORTED, who)
        await uow.commit()
    sent = await messages(deps, me, limit=MESSAGES_LIMIT)
    own = {contact for contact in (account.email, account.phone) if contact}
    asked = [deps.questions.get(a.question_id) for a in sorted(answers, key=lambda a: a.position)]
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "site": {"code": site.code, "name": site.name, "address": site.origin},
        "account": {
            "name": account.name,
            "email": account.email,
            "email_verified": account.email_verified,
            "mobile_phone": account.phone,
            "mobile_phone_verified": account.phone_verified,
            "status": account.status.value,
            "created_at": _when(account.created_at),
            "password_changed_at": _when(account.password_changed_at),
            "language": account.locale or site.locales[0],
            "two_step_verification": account.two_step,
            "preferred_two_step_method": account.preferred_factor,
            "backup_codes_left": backup_left,
        },
        "two_step_methods": [
            {
                "kind": f.kind,
                "name": f.label,
                "mobile_phone": f.phone or None,
                "added_at": _when(f.created_at),
                "confirmed_at": _when(f.confirmed_at),
            }
            for f in factors
        ],
        "passkeys": [
            {
                "name": p.name,
                "added_at": _when(p.created_at),
                "last_used_at": _when(p.last_used_at),
                "synced": p.backed_up,
            }
            for p in passkeys
        ],
        "verification_questions": [q.text for q in asked if q is not None],
        "remembered_browsers": [
            {"browser": b.user_agent, "added_at": _when(b.created_at), "until": _when(b.expires_at)}
            for b in browsers
        ],
        "suspensions_and_warnings": [
            {
                "measure": m.measure.value,
                "reason": m.reason_code,
                "facts": m.facts,
                "state": m.state.value,
                "from": _when(m.starts_at),
                "until": _when(m.until),
                "appeal_until": _when(m.appeal_until),
                "lifted_at": _when(m.lifted_at),
            }
            for m in measures
        ],
        "signed_in_devices": [
            {
                "signed_in_at": _when(s.created_at),
                "last_seen_at": _when(s.last_seen_at),
                "ip_address": s.ip,
                "browser": s.user_agent,
                "kept_signed_in": s.remember,
            }
            for s in sessions
        ],
        "security_activity": [
            {
                "event": e.action.value,
                "at": _when(e.at),
                # What our staff did is theirs to tell, not their address and browser.
                "ip_address": "" if by_staff(e.detail) else e.ip,
                "browser": "" if by_staff(e.detail) else e.user_agent,
            }
            for e in activity
        ],
        "security_activity_complete": len(activity) < ACTIVITY_LIMIT,
        "messages": [
            {
                "channel": m.channel.value,
                # Someone else's address (a recovery's new contact) is shown masked.
                "to": m.to if m.to in own else mask(_kind(m.to), m.to),
                "subject": m.subject,
                "text": m.body,
                "sent_at": _when(m.sent_at or m.filed_at),
            }
            for m in sent
        ],
        "messages_complete": len(sent) < MESSAGES_LIMIT,
        "support_cases": [
            {
                "number": c.number,
                "topic": c.topic.value,
                "state": c.state.value,
                "opened_at": _when(c.created_at),
            }
            for c in cases
        ],
        "left_out": list(LEFT_OUT),
    }
