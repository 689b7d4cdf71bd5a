"""The agent tools over HTTP when an agent's quota is reached: the case page again, with
the message beside the tool, never a bare error page."""

from __future__ import annotations

import html

from entryway.flows import common
from tests.web.test_console import Hosts
from tests.web.test_console import hosts as hosts  # the fixture, re-exported
from tests.web.test_console_cases import Staff, act, ask, case_id
from tests.web.test_console_cases import staff as staff  # the fixture, re-exported


async def test_a_reached_quota_is_said_on_the_case_page(hosts: Hosts, staff: Staff) -> None:
    agent = await staff(sites=["us"])
    cid = await case_id(hosts, await ask(hosts, "nobody@example.com"))
    for _ in range(common.DAILY_AGENT_SENDS_PER_DESTINATION):
        assert (await act(agent, cid, "tools/verify", reason="asked")).status_code == 303
    r = await act(agent, cid, "tools/verify", reason="asked again")
    assert r.status_code == 429
    assert 'id="tools"' in r.text  # the case page, tools and all
    error = r.text.split('id="verify-error"', 1)[1].split("</p>", 1)[0]
    assert html.unescape(common.AGENT_QUOTA_CUSTOMER) in html.unescape(error)
