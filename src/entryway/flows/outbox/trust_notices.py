"""What the suspension messages are written from (``messages/suspension_*`` and
``messages/warning_statement*``): the statement of reasons carries every part a customer
is owed (what we did and for how long, the facts, the ground and the clause of the
terms, whether automated means were used, and how to contest it); each names the site's
configured origin only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from entryway.flows.trust.measures import Statement


def statement_values(statement: Statement) -> dict[str, Any]:
    """A statement's parts as a template's values. ``facts`` are the staff member's own
    words (never translated); the title and explanation are the store's reason."""
    return {
        "facts": statement.facts,
        "title": statement.title,
        "explanation": statement.explanation,
        "terms_section": statement.terms_section,
        "automated": statement.automated,
        "scope_label": statement.scope_label,
        "until": statement.until,
        "appeal_until": statement.appeal_until,
    }
