"""Statements compiled once per dialect, and on SQLite run straight on the driver.

SQLAlchemy's execution path (an execution context, a cursor result, its row and mapping
objects, the events) cost about 45 µs per statement on the development VM, against about
7 µs for the driver's own ``execute`` and ``fetchone`` of the same SQL. On SQLite, where a
statement is a function call on the loop's thread, that overhead was most of a session
check, and half of a sign-in's. ``Prepared`` keeps the SQL, the order of its parameters and
the columns' converters (the types' own bind and result processors, so values go in and
come back exactly as through SQLAlchemy), and ``LoopConnection.first`` and ``run`` execute
it on the driver, inside whatever transaction the connection has open. A SELECT, or an
INSERT, UPDATE or DELETE (with or without RETURNING) whose values are all bound
parameters: nothing SQLAlchemy would add at execution (a Python-side column default) is
added here. On PostgreSQL the same object runs through SQLAlchemy as before: there the
round trip is the cost, not this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Delete, Insert, Select, Table, Update, bindparam, insert
from sqlalchemy.engine import Dialect

_Convert = Callable[[Any], Any] | None
Statement = Select[Any] | Insert | Update | Delete


class Prepared:
    """One statement, with its compiled forms by dialect (made on first use)."""

    __slots__ = ("_forms", "statement")

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self._forms: dict[str, DriverForm] = {}

    def form(self, dialect: Dialect) -> DriverForm:
        found = self._forms.get(dialect.name)
        if found is None:
            found = self._forms[dialect.name] = DriverForm(self.statement, dialect)
        return found


class DriverForm:
    """The SQL text for ``dialect``, how to order and convert parameters for the driver, and
    how to turn a driver row into the mapping SQLAlchemy would have given."""

    __slots__ = ("_binds", "_columns", "sql")

    def __init__(self, statement: Statement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        order = compiled.positiontup
        if order is None:
            raise TypeError(f"{dialect.name}: prepared statements need a positional paramstyle")
        self.sql = str(compiled)
        binds: list[tuple[str, bool, Any, _Convert]] = []
        for name in order:
            bind = compiled.binds[name]
            if bind.expanding or bind.callable is not None:
                raise TypeError(f"bind {name!r}: only plain values can be prepared")
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, bind.required, bind.value, convert))
        self._binds = tuple(binds)
        shown = (
            statement.selected_columns
            if isinstance(statement, Select)
            else statement.exported_columns  # what RETURNING gives back
        )
        keys = list(map(str, shown.keys()))
        columns = list(shown)
        if len(set(keys)) != len(keys):
            raise TypeError("prepared statements need distinct column names")
        self._columns = tuple(
            (key, column.type.dialect_impl(dialect).result_processor(dialect, None))
            for key, column in zip(keys, columns, strict=True)
        )

    def parameters(self, given: Mapping[str, Any]) -> list[Any]:
        """The driver's positional parameters; a missing required one raises KeyError."""
        out: list[Any] = []
        for name, required, default, convert in self._binds:
            if name in given:
                value = given[name]
            elif required:
                raise KeyError(f"missing bind parameter {name!r}")
            else:
                value = default
            out.append(convert(value) if convert is not None else value)
        return out

    def mapping(self, row: tuple[Any, ...]) -> dict[str, Any]:
        return {
            key: (convert(value) if convert is not None else value)
            for (key, convert), value in zip(self._columns, row, strict=True)
        }


def insert_of(table: Table, names: tuple[str, ...]) -> Prepared:
    """``INSERT INTO table (names...)``, each value the bound parameter of its name."""
    values = {name: bindparam(name, type_=table.c[name].type) for name in names}
    return Prepared(insert(table).values(values))
