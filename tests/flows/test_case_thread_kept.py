"""A case's thread is append-only in the database, and the one path that deletes accounts
(an unverified sign-up losing its address to its proven owner) leaves cases and threads."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from entryway.core.cases import Author, CaseState, Origin, Topic
from entryway.core.events import AccountStatus
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.flows.account import account, registration
from entryway.flows.ports import CaseEntry, SupportCase
from tests.conftest import World
from tests.flows.test_account import PW, WHO, signed_in
from tests.flows.test_support_cases import ask, stored


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE case_entries SET body = 'rewritten'",
        "UPDATE case_entries SET author = 'agent'",
        "DELETE FROM case_entries",
    ],
)
async def test_the_thread_is_append_only_in_the_database(world: World, statement: str) -> None:
    await ask(world)
    db = world.runtime.db
    before = await db.run_sql("SELECT id, author, body FROM case_entries ORDER BY id")
    assert before
    with pytest.raises(DBAPIError, match="append-only"):
        await db.run_sql(statement)
    assert await db.run_sql("SELECT id, author, body FROM case_entries ORDER BY id") == before


async def test_deleting_an_unverified_account_keeps_its_cases_and_threads(world: World) -> None:
    await registration.start(
        world.deps,
        "us",
        name="Eve",
        identifier="ana@example.com",
        password=PW,
        password_again=PW,
        who=WHO,
    )
    async with world.deps.uow() as uow:
        squatter = await uow.accounts.find(
            "us", Identifier(IdentifierKind.EMAIL, "ana@example.com")
        )
        assert squatter is not None and squatter.status is AccountStatus.UNVERIFIED
        now = world.clock.now()
        await uow.cases.add(
            SupportCase(
                id="c-squat",
                number="19999999",
                site="us",
                account_id=squatter.id,
                topic=Topic.OTHER,
                origin=Origin.SIGNED_IN,
                state=CaseState.NEW,
                created_at=now,
            )
        )
        await uow.cases.add_entry(
            CaseEntry(site="us", case_id="c-squat", author=Author.CUSTOMER, body="Hi", at=now)
        )
        await uow.commit()
    other = await stored(world, await ask(world, "someone@example.com"))

    me = await signed_in(world, "+12015550123")
    started = await account.start_contact_change(
        world.deps, me, IdentifierKind.EMAIL, "ana@example.com", WHO
    )
    code = await world.code("ana@example.com")
    await account.confirm_contact_change(
        world.deps, me, IdentifierKind.EMAIL, started.flow_token, code, WHO
    )
    async with world.deps.uow() as uow:
        assert await uow.accounts.get("us", squatter.id) is None  # the sign-up is gone
        mine = await uow.accounts.get("us", me.account.id)
        assert mine is not None and mine.email == "ana@example.com"
        kept = await uow.cases.get("us", "c-squat")
        assert kept is not None and kept.account_id is None  # unlinked, not deleted
        assert [e.body for e in await uow.cases.entries("us", "c-squat")] == ["Hi"]
        assert await uow.cases.entries("us", other.id)  # other threads untouched
