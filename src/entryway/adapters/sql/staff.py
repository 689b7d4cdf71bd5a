"""Staff accounts, console sessions, enrolment links, failures, locks, TOTP steps and the
staff audit log, all in staff's own tables. None commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from entryway.adapters.sql.rows import Repo, load, values_of
from entryway.adapters.sql.tables import (
    staff,
    staff_audit,
    staff_failures,
    staff_links,
    staff_locks,
    staff_sessions,
    staff_tokens,
    staff_totp_steps,
)
from entryway.core.staff import Role, StaffAction, StaffLevel, StaffStatus, format_roles
from entryway.errors import Conflict
from entryway.flows.staff.records import (
    StaffAuditEntry,
    StaffFailures,
    StaffLink,
    StaffLock,
    StaffMember,
    StaffSession,
    StaffToken,
)


def _stored(values: Mapping[str, Any]) -> dict[str, Any]:
    """Role and site sets as the comma lists the table keeps."""
    out = dict(values)
    if "roles" in out:
        out["roles"] = format_roles(out["roles"])
    if "sites" in out:
        out["sites"] = ",".join(sorted(out["sites"]))
    if "status" in out:
        out["status"] = StaffStatus(out["status"]).value
    return out


def _member(row: Mapping[str, Any]) -> StaffMember:
    return load(
        StaffMember,
        row,
        convert={
            "roles": lambda v: frozenset(Role(r) for r in v.split(",") if r),
            "sites": lambda v: frozenset(s for s in v.split(",") if s),
            "status": StaffStatus,
        },
    )


class StaffRepo(Repo):
    async def add(self, member: StaffMember) -> None:
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(insert(staff).values(**_stored(values_of(member))))
        except IntegrityError:
            raise Conflict(f"a staff member with the email {member.email!r} exists") from None

    async def get(self, staff_id: str) -> StaffMember | None:
        row = (await self.conn.execute(select(staff).where(staff.c.id == staff_id))).mappings()
        found = row.first()
        return _member(found) if found else None

    async def find(self, email: str) -> StaffMember | None:
        row = (await self.conn.execute(select(staff).where(staff.c.email == email))).mappings()
        found = row.first()
        return _member(found) if found else None

    async def everyone(self) -> list[StaffMember]:
        rows = (await self.conn.execute(select(staff).order_by(staff.c.email))).mappings().all()
        return [_member(r) for r in rows]

    async def update(self, staff_id: str, **values: Any) -> None:
        await self.conn.execute(
            update(staff).where(staff.c.id == staff_id).values(**_stored(values))
        )

    async def add_link(self, link: StaffLink) -> None:
        await self.conn.execute(insert(staff_links).values(**values_of(link)))

    async def link(self, id_hash: str) -> StaffLink | None:
        query = select(staff_links).where(staff_links.c.id_hash == id_hash)
        row = (await self.conn.execute(query)).mappings().first()
        return load(StaffLink, row) if row else None

    async def use_link(self, id_hash: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(staff_links)
            .where(
                staff_links.c.id_hash == id_hash,
                staff_links.c.used_at.is_(None),
                staff_links.c.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(result.rowcount == 1)

    async def void_links(self, staff_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(staff_links)
            .where(staff_links.c.staff_id == staff_id, staff_links.c.used_at.is_(None))
            .values(used_at=now)
        )

    async def add_session(self, session: StaffSession) -> None:
        await self.conn.execute(insert(staff_sessions).values(**values_of(session)))

    async def session(self, id_hash: str) -> StaffSession | None:
        query = select(staff_sessions).where(staff_sessions.c.id_hash == id_hash)
        row = (await self.conn.execute(query)).mappings().first()
        return load(StaffSession, row, convert={"level": StaffLevel}) if row else None

    async def touch_session(self, id_hash: str, now: datetime, idle: datetime) -> None:
        await self.conn.execute(
            update(staff_sessions)
            .where(staff_sessions.c.id_hash == id_hash)
            .values(last_seen_at=now, idle_deadline=idle)
        )

    async def end_session(self, id_hash: str) -> bool:
        query = delete(staff_sessions).where(staff_sessions.c.id_hash == id_hash)
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def end_sessions(self, staff_id: str) -> int:
        query = delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id)
        return int((await self.conn.execute(query)).rowcount)

    async def use_step(self, staff_id: str, step: int, now: datetime) -> bool:
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(
                    insert(staff_totp_steps).values(staff_id=staff_id, step=step, used_at=now)
                )
        except IntegrityError:
            return False  # that step was accepted already: a replay
        return True

    async def hit(self, key_hash: str, window: datetime) -> int:
        query = (
            self.upsert_dialect()(staff_failures)
            .values(key_hash=key_hash, window_start=window, count=1, last_at=None)
            .on_conflict_do_update(
                index_elements=["key_hash", "window_start"],
                set_={"count": staff_failures.c.count + 1},
            )
            .returning(staff_failures.c.count)
        )
        return int((await self.conn.execute(query)).scalar_one())

    async def failed_at(self, key_hash: str, window: datetime, now: datetime) -> None:
        await self.conn.execute(
            update(staff_failures)
            .where(staff_failures.c.key_hash == key_hash, staff_failures.c.window_start == window)
            .values(last_at=now)
        )

    async def take_back(self, key_hash: str, window: datetime) -> None:
        await self.conn.execute(
            update(staff_failures)
            .where(
                staff_failures.c.key_hash == key_hash,
                staff_failures.c.window_start == window,
                staff_failures.c.count > 0,
            )
            .values(count=staff_failures.c.count - 1)
        )

    async def failures(self, key_hash: str, window: datetime, previous: datetime) -> StaffFailures:
        query = select(staff_failures).where(
            staff_failures.c.key_hash == key_hash,
            staff_failures.c.window_start.in_([window, previous]),
        )
        rows = (await self.conn.execute(query)).mappings().all()
        counts = {r["window_start"]: r for r in rows}
        last = [r["last_at"] for r in rows if r["last_at"] is not None]
        return StaffFailures(
            current=int(counts[window]["count"]) if window in counts else 0,
            previous=int(counts[previous]["count"]) if previous in counts else 0,
            last_at=max(last) if last else None,
        )

    async def clear_failures(self, key_hash: str) -> None:
        await self.conn.execute(delete(staff_failures).where(staff_failures.c.key_hash == key_hash))

    async def lock(self, lock: StaffLock) -> bool:
        query = (
            self.upsert_dialect()(staff_locks)
            .values(**values_of(lock))
            .on_conflict_do_nothing(index_elements=["key_hash"])
        )
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def lock_of(self, key_hash: str) -> StaffLock | None:
        query = select(staff_locks).where(staff_locks.c.key_hash == key_hash)
        row = (await self.conn.execute(query)).mappings().first()
        return load(StaffLock, row) if row else None

    async def unlock(self, key_hash: str) -> bool:
        query = delete(staff_locks).where(staff_locks.c.key_hash == key_hash)
        return bool((await self.conn.execute(query)).rowcount == 1)

    async def locked_ids(self) -> set[str]:
        query = select(staff_locks.c.staff_id).where(staff_locks.c.staff_id.is_not(None))
        return {str(r) for r in (await self.conn.execute(query)).scalars().all()}

    async def audit(self, entry: StaffAuditEntry) -> None:
        values = values_of(entry)
        values.pop("id")
        await self.conn.execute(insert(staff_audit).values(**values))

    async def audit_log(self, limit: int = 50) -> list[StaffAuditEntry]:
        query = select(staff_audit).order_by(staff_audit.c.at.desc(), staff_audit.c.id.desc())
        rows = (await self.conn.execute(query.limit(limit))).mappings().all()
        return [load(StaffAuditEntry, r, convert={"action": StaffAction}) for r in rows]

    async def add_token(self, token: StaffToken) -> None:
        await self.conn.execute(insert(staff_tokens).values(**values_of(token)))

    async def token(self, token_hash: str) -> StaffToken | None:
        query = select(staff_tokens).where(staff_tokens.c.token_hash == token_hash)
        row = (await self.conn.execute(query)).mappings().first()
        return load(StaffToken, row) if row else None

    async def tokens(self, staff_id: str | None = None) -> list[StaffToken]:
        query = select(staff_tokens).order_by(staff_tokens.c.created_at.desc(), staff_tokens.c.id)
        if staff_id is not None:
            query = query.where(staff_tokens.c.staff_id == staff_id)
        rows = (await self.conn.execute(query)).mappings().all()
        return [load(StaffToken, r) for r in rows]

    async def token_used(self, token_id: str, now: datetime) -> None:
        await self.conn.execute(
            update(staff_tokens).where(staff_tokens.c.id == token_id).values(last_used_at=now)
        )

    async def revoke_token(self, token_id: str, now: datetime) -> bool:
        query = (
            update(staff_tokens)
            .where(staff_tokens.c.id == token_id, staff_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool((await self.conn.execute(query)).rowcount == 1)
