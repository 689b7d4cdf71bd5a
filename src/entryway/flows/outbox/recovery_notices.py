"""Which template each identity-check and recovery message is written from, and in whose
language (the words are in ``messages/recovery_*``).

The messages to a recovery's new contact go to someone who is not on the account (yet):
they are written in the language the request was made in, never the account's, so that
nothing in them depends on the account (SECURITY.md 4). The old contacts read the
account's own language."""

from __future__ import annotations

from typing import Any

from entryway.core.events import Channel
from entryway.core.sites import Site
from entryway.flows.ports import Deps, Recovery, Rendered


def new_contact_locale(site: Site, recovery: Recovery) -> str:
    """The language of the request that opened ``recovery``, while the site offers it."""
    if recovery.requester_locale in site.locales:
        return recovery.requester_locale
    return site.locale


def written(
    deps: Deps,
    site: Site,
    locale: str,
    channel: Channel,
    name: str,
    *,
    sms: str | None = None,
    **values: Any,
) -> Rendered:
    """The message ``name`` for ``channel``: an email's parts, or a text (from the text
    template ``sms`` when it is not ``name``) as a Rendered with only ``text``."""
    if channel == Channel.EMAIL:
        return deps.messages.email(name, site, locale, **values)
    return Rendered(
        subject="", text=deps.messages.sms(sms or name, site, locale, **values), html=""
    )
