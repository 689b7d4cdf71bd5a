"""Housekeeping deletes: one batch of one kind of expired row (core/housekeeping.py).

Each batch picks at most ``limit`` primary keys and deletes those rows, so it holds its
row locks for one short statement; the caller commits each batch on its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, select, tuple_

from entryway.adapters.sql import tables as t
from entryway.adapters.sql.rows import Repo
from entryway.core.events import Channel, MessageStatus
from entryway.core.housekeeping import SweepJob


def _condition(job: SweepJob, cutoff: datetime) -> tuple[Table, Any]:
    m = t.messages.c
    match job:
        case SweepJob.SESSIONS:  # idle never passes absolute, so the idle deadline says it
            return t.sessions, t.sessions.c.idle_deadline < cutoff
        case SweepJob.STAFF_SESSIONS:
            return t.staff_sessions, t.staff_sessions.c.idle_deadline < cutoff
        case SweepJob.FLOWS:
            return t.flow_states, t.flow_states.c.expires_at < cutoff
        case SweepJob.LINKS:
            return t.links, t.links.c.expires_at < cutoff
        case SweepJob.STAFF_LINKS:
            return t.staff_links, t.staff_links.c.expires_at < cutoff
        case SweepJob.BROWSERS:
            return t.remembered_browsers, t.remembered_browsers.c.expires_at < cutoff
        case SweepJob.COUNTERS:
            return t.failure_counters, t.failure_counters.c.window_start < cutoff
        case SweepJob.STAFF_COUNTERS:
            return t.staff_failures, t.staff_failures.c.window_start < cutoff
        case SweepJob.OLD_LOCKS:  # an account's and an unknown identifier's alike
            return t.locks, t.locks.c.until < cutoff
        case SweepJob.TOTP_STEPS:
            return t.totp_steps, t.totp_steps.c.used_at < cutoff
        case SweepJob.STAFF_TOTP_STEPS:
            return t.staff_totp_steps, t.staff_totp_steps.c.used_at < cutoff
        case SweepJob.KNOWN_DEVICES:
            return t.known_devices, t.known_devices.c.first_seen_at < cutoff
        case SweepJob.DELIVERED_HOOKS:
            return t.messages, and_(
                m.channel.in_([Channel.WEBHOOK.value, Channel.APP.value]),
                m.status == MessageStatus.SENT.value,
                m.sent_at < cutoff,
            )
        case SweepJob.OLD_MESSAGES:
            return t.messages, and_(m.status != MessageStatus.PENDING.value, m.created_at < cutoff)
        case SweepJob.APP_TOKENS:
            return t.oidc_tokens, t.oidc_tokens.c.expires_at < cutoff
        case SweepJob.APP_GRANTS:
            return t.oidc_grants, t.oidc_grants.c.refresh_until < cutoff
    raise ValueError(f"no such sweep job: {job!r}")


class SweepRepo(Repo):
    async def expired(self, job: SweepJob, cutoff: datetime, limit: int) -> int:
        """Delete at most ``limit`` rows of ``job`` whose end is before ``cutoff``; how many."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        table, condition = _condition(job, cutoff)
        keys = list(table.primary_key.columns)
        chosen = select(*keys).where(condition).limit(limit)
        # The condition again on the delete itself: a row made live between the pick and the
        # delete (a lock taken again, a device seen again) is re-checked and kept.
        if len(keys) == 1:
            statement = delete(table).where(condition, keys[0].in_(chosen.scalar_subquery()))
        else:
            statement = delete(table).where(condition, tuple_(*keys).in_(chosen))
        result = await self.conn.execute(statement)
        return int(result.rowcount or 0)
