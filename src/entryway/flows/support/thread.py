"""What the customer's and the agents' side of a case share: the thread, the View your
case link, and where a message to the customer goes."""

from __future__ import annotations

from datetime import datetime

from entryway.core.cases import (
    CUSTOMER_TOPICS,
    MAX_MESSAGE,
    Author,
    CaseState,
    Origin,
    Topic,
    first_reply_due,
)
from entryway.core.events import Channel, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.core.locales import N_
from entryway.core.secrets import keyed_hash, new_token
from entryway.core.sites import Site
from entryway.errors import Conflict, InvalidInput
from entryway.flows.common import send, verified_contacts
from entryway.flows.ports import (
    Account,
    CaseEntry,
    CaseLink,
    Deps,
    Rendered,
    SupportCase,
    UnitOfWork,
)

NO_CASE = N_("We couldn't find that case.")
CLOSED = N_(
    "This case is closed: it was solved more than 7 days ago. If you still need help, "
    "open a new case."
)


def clean_message(raw: str, field: str = "message") -> str:
    """A message of the thread: trimmed, not empty, at most MAX_MESSAGE characters."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput("Tell us what happened.", field=field)
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(
            "Use at most {limit} characters (this has {length}).",
            field=field,
            params={"limit": MAX_MESSAGE, "length": len(text)},
        )
    return text


def customer_topic(raw: str) -> Topic:
    """A topic the Ask us form offers; the journeys' own topics cannot be chosen."""
    try:
        topic = Topic(raw)
    except ValueError:
        topic = None
    if topic not in CUSTOMER_TOPICS:
        raise InvalidInput("Choose a topic.", field="topic")
    return topic


def link_hash(deps: Deps, token: str) -> str:
    """View your case links are kept by keyed hash: a copy of the database opens no case."""
    return keyed_hash(deps.keys.hashing, "case-link", token)


async def issue_link(deps: Deps, uow: UnitOfWork, site: Site, case: SupportCase) -> str:
    """A new View your case link (256 bits) bound to this site and case; its absolute URL.
    It lives while the case is open, since it can only show and answer this case."""
    token = new_token(deps.rng)
    await uow.cases.add_link(
        CaseLink(
            id_hash=link_hash(deps, token),
            site=site.code,
            case_id=case.id,
            created_at=deps.clock.now(),
        )
    )
    return site.url("/cases/open/" + token)


def verification_token(case: SupportCase, n: int) -> str:
    """The flow name of the case's n-th Verify it's you code. Not a secret: the code is, and
    the flow is reached only through its case (the case page), never by this name."""
    return f"case-verify|{case.id}|{n}"


def on_file(account: Account) -> list[tuple[str, str]]:
    """The account's verified contacts, email first: the only places agents reach, by index
    (SECURITY.md 32). Same order as Forgot your password? lists them."""
    return verified_contacts(account)


def reply_address(case: SupportCase, account: Account | None) -> tuple[str, str] | None:
    """Where messages about a case go. Once a case is linked, only to a contact on file (the
    one the customer wrote from if it is still there); before, to the contact typed into the
    form, which is all we know and which the case link proved nothing about."""
    if case.account_id is not None:
        if account is None:
            return None
        contacts = on_file(account)
        for kind, value in contacts:
            if value == case.claimed_contact:
                return kind, value
        return contacts[0] if contacts else None
    if case.claimed_contact:
        return case.claimed_kind, case.claimed_contact
    return None


async def record(
    deps: Deps,
    uow: UnitOfWork,
    case: SupportCase,
    author: Author,
    body: str,
    staff_id: str | None = None,
) -> None:
    await uow.cases.add_entry(
        CaseEntry(
            site=case.site,
            case_id=case.id,
            author=author,
            body=body,
            at=deps.clock.now(),
            staff_id=staff_id,
        )
    )


async def tell_customer(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    case: SupportCase,
    account: Account | None,
    kind: MessageKind,
    email: Rendered | tuple[str, str],
    sms: str,
) -> bool:
    """One message about the case to its reply address, by email or text by the address's
    kind; listed in the Message Center only once the case is linked. False if nowhere.
    ``email``: the rendered template (or a plain subject and text, without an HTML part)."""
    to = reply_address(case, account)
    if to is None:
        return False
    channel = Channel.EMAIL if to[0] == IdentifierKind.EMAIL else Channel.SMS
    mail = email if isinstance(email, Rendered) else Rendered(email[0], email[1], "")
    if channel == Channel.SMS:
        mail = Rendered("", sms, "")
    await send(
        deps,
        uow,
        site,
        account_id=case.account_id,
        channel=channel,
        kind=kind,
        to=to[1],
        subject=mail.subject,
        body=mail.text,
        html=mail.html,
    )
    return True


async def add_case(
    deps: Deps,
    uow: UnitOfWork,
    site: Site,
    account: Account | None,
    origin: Origin,
    topic: Topic,
    now: datetime,
    name: str,
    ident: Identifier | None,
    locale: str = "",
) -> SupportCase:
    """A new case with a fresh number (retried on the rare clash), in the caller's
    transaction: Ask us, and the journeys that open cases of their own (identity review);
    ``locale``: the language it was asked in."""
    for _ in range(5):  # case numbers are short, so a clash is possible, if rare
        case = SupportCase(
            id=new_token(deps.rng, 16),
            number=f"{deps.rng.randbelow(10**8):08d}",
            site=site.code,
            account_id=account.id if account else None,
            topic=topic,
            origin=origin,
            state=CaseState.NEW,
            created_at=now,
            claimed_name=name,
            claimed_kind=ident.kind.value if ident else "",
            claimed_contact=ident.value if ident else None,
            first_reply_due=first_reply_due(now),
            last_customer_at=now,
            locale=locale,
        )
        try:
            await uow.cases.add(case)
            return case
        except Conflict:
            continue
    raise Conflict("Please try again.")
