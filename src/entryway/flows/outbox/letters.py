"""Notices written from their templates (``deps.messages``) in the reader's language."""

from __future__ import annotations

from typing import Any

from entryway.core.events import Channel, MessageKind
from entryway.core.sites import Site
from entryway.flows import words
from entryway.flows.common import notify_all
from entryway.flows.ports import Deps, UnitOfWork
from entryway.flows.records import Account, Requester


async def notify_all_of(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    account: Account,
    kind: MessageKind,
    name: str,
    *,
    who: Requester | None = None,
    **values: Any,
) -> None:
    """The email ``name`` and its text ``name.sms`` to each verified contact of the account,
    in the account's language (else the request's, else the site's)."""
    locale = words.reader_locale(site, account, who)
    mail = deps.messages.email(name, site, locale, **values)
    sms = deps.messages.sms(name, site, locale, **values)
    await notify_all(deps, uow, site, account, kind, mail.subject, mail.text, sms, html=mail.html)


def phone_code(deps: Deps, site: Site, locale: str, code: str, channel: str) -> str:
    """A code by text, or the words a voice call reads out (each digit, twice)."""
    name = "one_time_code_voice" if channel == Channel.VOICE else "one_time_code"
    return deps.messages.sms(name, site, locale, code=code)
