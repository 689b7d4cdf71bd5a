"""Moving records between flow dataclasses and table rows, in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import fields
from typing import Any, Protocol, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from entryway.adapters.sql.prepared import Prepared

T = TypeVar("T")


def values_of(record: Any, **renamed: str) -> dict[str, Any]:
    """A dataclass as column values (``renamed`` maps field -> column where they differ)."""
    return {renamed.get(f.name, f.name): getattr(record, f.name) for f in fields(record)}


def load(
    cls: Callable[..., T],
    row: Mapping[Any, Any],
    *,
    renamed: Mapping[str, str] | None = None,
    convert: Mapping[str, Callable[[Any], Any]] | None = None,
) -> T:
    """A row as ``cls``: columns renamed back to fields, enum fields rebuilt from strings."""
    names = renamed or {}
    data = {names.get(str(k), str(k)): v for k, v in row.items()}
    for name, make in (convert or {}).items():
        data[name] = make(data[name])
    return cls(**data)


class Conn(Protocol):
    """What repositories use of a connection: asyncpg's AsyncConnection or LoopConnection."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...

    async def first(
        self, prepared: Prepared, parameters: Mapping[str, Any]
    ) -> Mapping[str, Any] | None: ...

    async def run(self, prepared: Prepared, parameters: Mapping[str, Any]) -> int: ...

    def begin_nested(self) -> AbstractAsyncContextManager[Any]: ...


class Repo:
    """Base of every repository: it works inside the caller's transaction, never commits."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    def upsert_dialect(self) -> Any:
        """The dialect's INSERT with ON CONFLICT support (SQLite and PostgreSQL share it)."""
        return postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
