"""Case work that is not sent to the customer: who may be assigned, and the staff audit rows
of notes, assignments and state changes (actor and case recorded)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from entryway.core.cases import Topic
from entryway.core.staff import Role, StaffAction
from entryway.errors import InvalidInput
from entryway.flows.ports import Requester
from entryway.flows.staff import accounts
from entryway.flows.support import queue
from tests.conftest import World
from tests.flows.staff_helpers import CONSOLE, enrolled
from tests.flows.test_case_queue import US
from tests.flows.test_support_cases import ask, stored

OFFICE = Requester(ip="198.51.100.7", user_agent="console")


async def staff_log(world: World) -> list[Any]:
    async with world.deps.uow() as uow:
        return [
            e for e in await uow.staff.audit_log(100) if e.action.value.startswith("staff.case")
        ]


async def test_only_staff_who_work_on_the_case_can_be_assigned(world: World) -> None:
    case = await stored(world, await ask(world))  # a customer topic ("other") on us
    agent_us = await enrolled(world, "a@staff.example", frozenset({Role.AGENT}), ["us"])
    agent_all = await enrolled(world, "b@staff.example", frozenset({Role.AGENT}), None)
    agent_uk = await enrolled(world, "c@staff.example", frozenset({Role.AGENT}), ["uk"])
    reviewer = await enrolled(world, "d@staff.example", frozenset({Role.REVIEWER}), ["us"])
    gone = await enrolled(world, "e@staff.example", frozenset({Role.AGENT}), ["us"])
    await accounts.disable(world.deps, gone.email)
    invited = await accounts.add(
        world.deps,
        email="f@staff.example",
        roles=frozenset({Role.AGENT}),
        sites=["us"],
        all_sites=False,
        console_url=CONSOLE,
    )
    for bad in (
        "no-such-staff",
        agent_uk.staff_id,  # another site
        reviewer.staff_id,  # no role that answers this topic
        gone.staff_id,  # disabled
        invited.staff_id,  # never enrolled
        "x" * 40,
    ):
        with pytest.raises(InvalidInput) as raised:
            await queue.assign(world.deps, US, case.id, bad)
        assert raised.value.field == "staff" and raised.value.message == queue.NOT_ASSIGNABLE
    assert (await queue.open_case(world.deps, US, case.id)).case.assigned_to is None
    assert await staff_log(world) == []  # refused: nothing recorded
    for good in (agent_us.staff_id, agent_all.staff_id):
        seen = await queue.assign(world.deps, US, case.id, good)
        assert seen.case.assigned_to == good
    assert (await queue.assign(world.deps, US, case.id, "me")).case.assigned_to == "s-us"


async def test_notes_assignments_and_states_are_in_the_staff_audit_log(world: World) -> None:
    number = await ask(world)
    case = await stored(world, number)
    colleague = await enrolled(world, "kim@staff.example", frozenset({Role.AGENT}), ["us"])
    await queue.note(world.deps, US, case.id, "A private remark about the customer.", OFFICE)
    await queue.assign(world.deps, US, case.id, colleague.staff_id, OFFICE)
    await queue.assign(world.deps, US, case.id, None, OFFICE)
    await queue.set_state(world.deps, US, case.id, "solved", OFFICE)
    rows = sorted(await staff_log(world), key=lambda e: e.id)
    assert [(e.action, e.actor_id, e.target_id) for e in rows] == [
        (StaffAction.CASE_NOTE_ADDED, "s-us", None),
        (StaffAction.CASE_ASSIGNED, "s-us", colleague.staff_id),
        (StaffAction.CASE_ASSIGNED, "s-us", None),
        (StaffAction.CASE_STATE_CHANGED, "s-us", None),
    ]
    assert all(e.detail["case"] == number and e.detail["site"] == "us" for e in rows)
    assert all(e.ip == OFFICE.ip for e in rows)
    assert rows[2].detail["previous"] == colleague.staff_id
    assert rows[3].detail == {**rows[3].detail, "previous": "open", "state": "solved"}
    assert all("private remark" not in str(e.detail) for e in rows)  # the note stays on the case


async def test_search_by_contact_is_not_crowded_out_by_hidden_cases(world: World) -> None:
    """More than a page of cases the actor may not see (another role's topic, another site)
    for one contact: the actor's own still come up."""
    mine = await ask(world, "sam@example.com")
    base = await stored(world, mine)
    world.clock.advance(minutes=1)
    async with world.deps.uow() as uow:
        for n in range(55):
            hidden = replace(
                base,
                id=f"hidden-{n}",
                number=f"2{n:07d}",
                topic=Topic.IDENTITY_REVIEW if n % 2 else Topic.APPEAL,
                created_at=world.clock.now(),
            )
            await uow.cases.add(hidden)
        for n in range(55):  # the same contact on another site, newer still
            await uow.cases.add(
                replace(
                    base,
                    id=f"uk-{n}",
                    number=f"3{n:07d}",
                    site="uk",
                    created_at=world.clock.now(),
                )
            )
        await uow.commit()
    found = await queue.search(world.deps, US, "sam@example.com")
    assert [i.number for i in found] == [mine]
