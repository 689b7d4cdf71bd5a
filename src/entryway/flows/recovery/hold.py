"""The hold on an account's contacts after a recovery completes (SECURITY.md 35).

Finishing a recovery puts a new email or phone on the account; for the next
``RecoveryPolicy.contacts_fixed_for`` (48 hours) neither contact may be changed. If the
recovery was not the owner's, this keeps the address it took in place long enough for the
owner (whose old contacts were told) to reach Customer Service, instead of letting whoever
recovered the account move it on again at once. Adding a phone as a two-step method is not
a contact change and is left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from entryway.core.local_time import site_time
from entryway.core.locales import N_
from entryway.errors import ContactsOnHold, Moment
from entryway.flows.ports import Account, Deps

ON_HOLD = N_(
    "Your account was recovered recently, so its email address and mobile number can't be "
    "changed until {until}. This keeps the account safe in case someone else recovered it."
)


def contacts_fixed(deps: Deps, account: Account) -> datetime | None:
    """When the hold on this account's contacts ends, or None when there is none now."""
    until = account.contacts_fixed_until
    if until is None:
        return None
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return until if deps.clock.now() < until else None


def refuse_while_fixed(deps: Deps, account: Account) -> None:
    """Raise ContactsOnHold, naming when the hold ends, while the contacts are held."""
    until = contacts_fixed(deps, account)
    if until is not None:
        # The time goes in as a Moment: English here in the site's zone, and written in
        # each reader's own locale where the message is shown (web.i18n.said).
        english = site_time(until, deps.site(account.site))
        raise ContactsOnHold(
            ON_HOLD, until=until, field="identifier", params={"until": Moment(until, english)}
        )
