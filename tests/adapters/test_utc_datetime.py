"""``UtcDateTime`` on SQLite reads its stored text straight to an aware UTC datetime and
writes it straight from the UTC fields; every value must read and write as the general path
does, whatever the shortcut takes (SQL compares the stored text as text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    create_engine,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from entryway.adapters.sql.tables import UtcDateTime

DIALECT = sqlite.dialect()


def _general(value: object) -> object:
    """What the type gives without the shortcut: the impl's parse, then the UTC tzinfo."""
    parse = DateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert parse is not None
    parsed = parse(value)
    return None if parsed is None else parsed.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "stored",
    [
        "2026-12-07 21:03:00.123456",  # what the bind side writes
        "2026-12-07 21:03:00",  # CURRENT_TIMESTAMP, a migration's literal
        "2026-12-07",  # a bare date: fromisoformat drops the offset it is given
        None,
    ],
)
def test_each_stored_form_reads_as_the_general_path_does(stored: str | None) -> None:
    read = UtcDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert read is not None
    got = read(stored)
    assert got == _general(stored)
    if got is not None:
        assert isinstance(got, datetime) and got.tzinfo is UTC


def test_a_round_trip_keeps_the_instant_and_says_utc() -> None:
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime)
    )
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    instant = datetime(2026, 12, 7, 23, 30, 1, 7, tzinfo=timezone(timedelta(hours=-5)))
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=instant))
        conn.execute(text("INSERT INTO t (id, at) VALUES (2, '2026-12-07 04:05:06')"))
        rows = dict(conn.execute(select(table.c.id, table.c.at)).all())
    assert rows[1] == instant and rows[1].tzinfo is UTC
    assert rows[2] == datetime(2026, 12, 7, 4, 5, 6, tzinfo=UTC)


def _general_bind(value: object) -> object:
    """What the type writes without the shortcut: ``process_bind_param``, then the
    dialect's own DATETIME formatting."""
    decorator = UtcDateTime().dialect_impl(DIALECT)
    return TypeDecorator.bind_processor(decorator, DIALECT)(value)  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    )
)
def test_every_aware_datetime_is_written_as_the_general_path_writes_it(at: datetime) -> None:
    write = UtcDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert write is not None
    assert write(at) == _general_bind(at)


def test_a_naive_datetime_is_still_refused_and_none_stays_none() -> None:
    write = UtcDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert write is not None
    with pytest.raises(ValueError, match="naive"):
        write(datetime(2026, 12, 7, 12, 0))
    assert write(None) is None
