"""The readings a metrics scrape takes from the database: three small aggregate queries, each
served by an index (messages by status, recoveries by state, cases by state)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from entryway.adapters.sql.rows import Repo
from entryway.adapters.sql.tables import messages, recoveries, support_cases
from entryway.core.cases import CaseState
from entryway.core.events import MessageStatus
from entryway.core.recovery import LIVE_STATES
from entryway.flows.observe.ports import GaugeReading


class GaugeRepo(Repo):
    async def read(self, now: datetime) -> GaugeReading:
        pending = messages.c.status == MessageStatus.PENDING.value
        due = messages.c.next_attempt_at <= now
        outbox = (
            await self.conn.execute(
                select(
                    func.count(),
                    func.count().filter(due),
                    func.min(messages.c.next_attempt_at).filter(due),
                ).where(pending)
            )
        ).one()
        live = [state.value for state in LIVE_STATES]
        by_recovery = (
            await self.conn.execute(
                select(recoveries.c.state, func.count())
                .where(recoveries.c.state.in_(live))
                .group_by(recoveries.c.state)
            )
        ).all()
        by_case = (
            await self.conn.execute(
                select(support_cases.c.state, func.count())
                .where(support_cases.c.state != CaseState.CLOSED.value)
                .group_by(support_cases.c.state)
            )
        ).all()
        return GaugeReading(
            outbox_waiting=int(outbox[0]),
            outbox_due=int(outbox[1]),
            oldest_due_at=outbox[2],
            recoveries={str(state): int(n) for state, n in by_recovery},
            cases={str(state): int(n) for state, n in by_case},
        )
