"""A suspended customer reads the statement, and the news that it was lifted, in the
account's own language (fr-CA here, on the Canada site)."""

from __future__ import annotations

from datetime import UTC, datetime

from entryway.core.events import AccountStatus, MessageKind
from entryway.flows.ports import Account
from entryway.flows.trust import measures
from tests.conftest import World
from tests.flows.trust.helpers import FACTS, WHO, trust_deps

ANA = "ana@example.ca"


async def test_a_french_account_reads_its_suspension_in_french(world: World) -> None:
    deps = trust_deps(world)
    site = deps.site("ca")
    async with deps.uow() as uow:
        await uow.accounts.add(
            Account(
                id="a-fr", site="ca", name="Ana", email=ANA, phone=None, password_hash="",
                status=AccountStatus.ACTIVE, created_at=datetime(2025, 6, 1, tzinfo=UTC),
                email_verified=True, locale="fr-CA",
            )
        )  # fmt: skip
        await uow.commit()
    suspension = await measures.suspend(
        deps, None, site="ca", account_id="a-fr", reason="payment_fraud", facts=FACTS,
        until=None, automated=False, who=WHO, by="cli",
    )  # fmt: skip
    await measures.lift(
        deps, None, site="ca", suspension_id=suspension.id, reason="An error on our side.",
        who=WHO, by="cli",
    )  # fmt: skip
    async with deps.uow() as uow:
        sent = {m.kind: m for m in await uow.outbox.latest(20) if m.to == ANA}
    statement = sent[MessageKind.SUSPENSION_NOTICE]
    lifted = sent[MessageKind.SUSPENSION_LIFTED]
    for message, name in ((statement, "suspension_statement"), (lifted, "suspension_lifted")):
        french = deps.messages.email(name, site, "fr-CA", **_values(name)).subject
        english = deps.messages.email(name, site, "en-CA", **_values(name)).subject
        assert message.subject == french != english
        assert message.html.startswith("<!doctype html>") and 'lang="fr-CA"' in message.html
    assert FACTS in statement.body  # the staff member's words, as written
    assert "An error on our side." in lifted.body


def _values(name: str) -> dict[str, object]:
    if name == "suspension_lifted":
        return {"reason": ""}
    return {
        "facts": "", "title": "", "explanation": "", "terms_section": "", "automated": False,
        "scope_label": "", "until": None, "appeal_url": None, "appeal_until": None,
    }  # fmt: skip
