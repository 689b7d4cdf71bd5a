"""Which language a recovery's messages are written in: the new contact reads the language
its request was made in (it is not on the account, and the account's must not show
through), the old contacts read the account's own."""

from __future__ import annotations

from datetime import UTC, datetime

from entryway.core.events import AccountStatus, Channel, MessageKind
from entryway.core.recovery import RecoveryState
from entryway.flows.outbox.recovery_notices import written
from entryway.flows.ports import Account, Recovery, Rendered
from entryway.flows.recovery import steps
from tests.conftest import World

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def recovery(locale: str, to: str = "nouveau@example.net") -> Recovery:
    return Recovery(
        id="r1", site="ca", account_id="a1", state=RecoveryState.REFUSED, new_kind="email",
        new_contact=to, created_at=NOW, requester_locale=locale,
    )  # fmt: skip


def owner(locale: str) -> Account:
    return Account(
        id="a1", site="ca", name="Ana", email="ana@example.com", phone=None, password_hash="",
        status=AccountStatus.ACTIVE, created_at=NOW, email_verified=True, locale=locale,
    )  # fmt: skip


async def subjects(world: World, to: str) -> list[str]:
    async with world.deps.uow() as uow:
        return [m.subject for m in await uow.outbox.latest(50) if m.to == to]


async def test_the_new_contact_reads_the_request_language(world: World) -> None:
    site = world.deps.site("ca")
    for asked_in, reads in (("fr-CA", "fr-CA"), ("en-CA", "en-CA"), ("", site.locale)):
        async with world.deps.uow() as uow:
            await steps.tell_new(
                world.deps, uow, site, recovery(asked_in, f"new-{asked_in}@example.net"),
                MessageKind.RECOVERY_UNVERIFIED,
                "recovery_unverified",
            )  # fmt: skip
            await uow.commit()
        expected = world.deps.messages.email("recovery_unverified", site, reads).subject
        assert await subjects(world, f"new-{asked_in}@example.net") == [expected]
    french = world.deps.messages.email("recovery_unverified", site, "fr-CA").subject
    assert french != world.deps.messages.email("recovery_unverified", site, "en-CA").subject


async def test_the_old_contacts_read_the_account_language(world: World) -> None:
    site = world.deps.site("ca")
    seen: list[str] = []

    def write(channel: Channel, locale: str, _link: str | None) -> Rendered:
        seen.append(locale)
        return written(world.deps, site, locale, channel, "recovery_tried")

    async with world.deps.uow() as uow:
        await steps.tell_old(
            world.deps, uow, site, owner("fr-CA"), recovery("en-CA"), MessageKind.RECOVERY_ENDED,
            write, with_link=False,
        )  # fmt: skip
        await uow.commit()
    assert seen == ["fr-CA"]
    expected = world.deps.messages.email("recovery_tried", site, "fr-CA").subject
    assert await subjects(world, "ana@example.com") == [expected]
