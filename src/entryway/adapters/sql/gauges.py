"""The readings a metrics scrape takes from the database: three small aggregate queries, each
served by an index (messages by status, recoveries by state, cases by state), so a scrape
costs the same with a million closed cases kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select

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
        first_try = and_(due, messages.c.attempts == 0)
        outbox = (
            await self.conn.execute(
                select(
                    func.count(),
                    func.count().filter(due),
                    # Waiting since: a message never tried since it fell due; one that
                    # failed since it was written (retries push its due time forward).
                    func.min(messages.c.next_attempt_at).filter(first_try),
                    func.min(messages.c.created_at).filter(messages.c.attempts > 0),
                ).where(pending)
            )
        ).one()
        waiting_since = [at for at in (outbox[2], outbox[3]) if at is not None]
        live = [state.value for state in LIVE_STATES]
        by_recovery = (
            await self.conn.execute(
                select(recoveries.c.state, func.count())
                .where(recoveries.c.state.in_(live))
                .group_by(recoveries.c.state)
            )
        ).all()
        open_states = [state.value for state in CaseState if state is not CaseState.CLOSED]
        by_case = (
            await self.conn.execute(
                select(support_cases.c.state, func.count())
                .where(support_cases.c.state.in_(open_states))
                .group_by(support_cases.c.state)
            )
        ).all()
        return GaugeReading(
            outbox_waiting=int(outbox[0]),
            outbox_due=int(outbox[1]),
            oldest_since=min(waiting_since, default=None),
            recoveries={str(state): int(n) for state, n in by_recovery},
            cases={str(state): int(n) for state, n in by_case},
        )
