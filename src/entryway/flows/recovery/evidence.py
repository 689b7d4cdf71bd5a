"""The evidence of one identity check, weighed after it: the order lookup (network I/O,
outside any transaction), the signals storage holds, and what a recovery row keeps of them.
Nothing here keeps or returns an answer, or what was typed for the order."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from entryway.core.events import AuditAction
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.recovery import Evidence, Outcome
from entryway.core.throttle import DAY, FailureScope, window_start
from entryway.flows.ports import Account, Deps, Order, Recovery, UnitOfWork
from entryway.flows.signin.lockout import account_key
from entryway.flows.subjects import public_subject

# Audited as password or contact changes, for the recent_change signal.
CHANGES = frozenset(
    {
        AuditAction.PASSWORD_CHANGED,
        AuditAction.PASSWORD_RESET,
        AuditAction.EMAIL_CHANGED,
        AuditAction.PHONE_CHANGED,
    }
)
log = logging.getLogger("entryway.recovery")


def failed_key(deps: Deps, account_id: str) -> str:
    """The key of the account's IDENTITY_FAILED count (failed checks today): the account's
    own counter key, so every flow that counts or reads it agrees."""
    return account_key(deps, account_id)


async def lookup(deps: Deps, account: Account) -> tuple[list[Order] | None, str]:
    """The account's recent orders by its public id and verified contacts only, and how the
    lookup went; outside any transaction. None: no lookup, or it is unavailable."""
    if deps.orders is None:
        return None, "no_lookup"
    try:
        orders = await deps.orders.recent_orders(
            site=account.site,
            sub=public_subject(deps.keys, account.site, account.id),
            email=account.email if account.email_verified else None,
            phone=account.phone if account.phone_verified else None,
        )
    except Exception as exc:  # the port promises not to raise; one that does is "unavailable"
        # The class only: the text of a lookup's error may hold the contacts it was given.
        log.warning("order lookup raised %s", type(exc).__name__)
        orders = None
    return orders, "answered" if orders is not None else "unavailable"


def order_matches(orders: list[Order], number: str, total: str) -> bool:
    """One order with this number (trimmed, case-insensitive) and this total (exact money)."""
    wanted = number.strip().casefold()
    try:
        amount = Decimal(total.strip())
    except InvalidOperation:
        return False
    if not wanted or not amount.is_finite():
        return False
    return any(o.number.strip().casefold() == wanted and o.total == amount for o in orders)


async def gather(
    deps: Deps,
    uow: UnitOfWork,
    recovery: Recovery,
    account: Account,
    orders: list[Order] | None,
) -> Evidence:
    """The signals of one check: what the row and storage say now, and what the check
    itself found (``over_cap``, ``failed_today`` in the row's evidence, if it set them)."""
    site = recovery.site
    checked = recovery.evidence
    now = deps.clock.now()
    answers = await uow.questions.answers(site, account.id)
    failed = await uow.counters.count(
        site, FailureScope.IDENTITY_FAILED, failed_key(deps, account.id), window_start(now, DAY)
    )
    return Evidence(
        questions_set=len(answers) >= 3,
        questions_right=recovery.questions_right,
        orders_known=bool(orders),
        order_right=bool(orders)
        and order_matches(orders or [], recovery.order_number, recovery.order_total),
        two_step=recovery.two_step or account.two_step,
        recent_change=await _recent_change(deps, uow, account),
        failed_today=failed > 0 or bool(checked.get("failed_today")),
        over_cap=bool(checked.get("over_cap")),
        contact_taken=await _contact_taken(uow, recovery),
        cancelled_lately=await uow.recoveries.cancelled_since(
            site, account.id, now - deps.recovery_policy.cancelled_within
        ),
    )


async def _recent_change(deps: Deps, uow: UnitOfWork, account: Account) -> bool:
    """A password or contact change within ``policy.recent_change_within``."""
    since = deps.clock.now() - deps.recovery_policy.recent_change_within
    if account.password_changed_at is not None and account.password_changed_at >= since:
        return True
    recent = await uow.audit.recent(account.site, account.id, 200)
    return any(e.action in CHANGES and e.at >= since for e in recent)


async def _contact_taken(uow: UnitOfWork, recovery: Recovery) -> bool:
    kind = IdentifierKind(recovery.new_kind)
    other = await uow.accounts.find(recovery.site, Identifier(kind, recovery.new_contact))
    return other is not None and other.id != recovery.account_id


def signals(evidence: Evidence, lookup: str, outcome: Outcome) -> dict[str, Any]:
    """What the row keeps of a check, by stable names: which checks passed and how the
    lookup went, never an answer or what was typed."""
    if not evidence.questions_set:
        questions = "not_set"
    else:
        questions = "right" if evidence.questions_right else "wrong"
    if lookup != "answered":
        order = "lookup_unavailable" if lookup == "unavailable" else "no_lookup"
    elif not evidence.orders_known:
        order = "no_orders"
    else:
        order = "matched" if evidence.order_right else "not_matched"
    return {
        "questions": questions,
        "order": order,
        "two_step": evidence.two_step,
        "recent_change": evidence.recent_change,
        "failed_today": evidence.failed_today,
        "over_cap": evidence.over_cap,
        "contact_taken": evidence.contact_taken,
        "cancelled_lately": evidence.cancelled_lately,
        "weak": list(evidence.weak),
        "outcome": outcome.value,
    }
