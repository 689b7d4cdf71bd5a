"""The database's side of a metrics scrape."""

from __future__ import annotations

from entryway.flows.observe.ports import GaugeReading
from entryway.flows.ports import Deps


async def reading(deps: Deps) -> GaugeReading:
    """Outbox backlog, live recoveries and open cases by state, as the database holds them."""
    async with deps.uow() as uow:
        return await uow.gauges.read(deps.clock.now())
