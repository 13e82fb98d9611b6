"""Model instances from hand-written SQL, converted exactly as the ORM converts them.

For the few statements on the hottest paths (a cached availability answer) where building the
query with the ORM costs more than running it: the statement is written once, by hand, and
its rows become ordinary model instances. ``Columns`` names every concrete field of a model
under a table alias, in the model's field order, and turns a slice of a row back into an
instance with each field's database converters applied (SQLite's booleans, dates and
decimals come back as the ORM would give them). Adding a field to a model adds it here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import Model

Converter = Callable[[Any, Any, Any], Any]


class Link(NamedTuple):
    """The join table of a many-to-many field: its name, the column holding the id of the
    model the field is on (``own``), and the column holding the other side's id."""

    table: str
    own: str
    other: str


@cache
def link(model: type[Model], name: str) -> Link:
    """The join table of the many-to-many field ``name`` of ``model``."""
    field: Any = model._meta.get_field(name)
    return Link(
        field.remote_field.through._meta.db_table,
        field.m2m_column_name(),
        field.m2m_reverse_name(),
    )


def placeholders(count: int) -> str:
    """``%s, %s, …`` for an ``IN (…)`` of ``count`` parameters."""
    return ", ".join(["%s"] * count)


def instant(value: datetime, using: str = "default") -> Any:
    """An aware datetime as a parameter of hand-written SQL, as the ORM would pass it (SQLite
    stores UTC without an offset, and compares the text)."""
    return connections[using].ops.adapt_datetimefield_value(value)


@dataclass(frozen=True)
class _Reading:
    """How the chosen fields of a model are read on one database: their columns, their
    converters (with the expression each converter is given), attnames and the key's place."""

    columns: tuple[str, ...]
    converters: tuple[tuple[Any, tuple[Converter, ...]], ...]
    attnames: list[str]
    pk_index: int | None


@cache
def _reading(model: type[Model], using: str, names: tuple[str, ...] | None) -> _Reading:
    connection = connections[using]
    chosen: list[Any] = (
        list(model._meta.concrete_fields)
        if names is None
        else [model._meta.get_field(name) for name in names]
    )
    converters = []
    for field in chosen:
        expression = field.get_col(model._meta.db_table)
        found = (
            *connection.ops.get_db_converters(expression),
            *expression.get_db_converters(connection),
        )
        converters.append((expression, found))
    return _Reading(
        columns=tuple(str(field.column) for field in chosen),
        converters=tuple(converters),
        attnames=[field.attname for field in chosen],
        pk_index=next((i for i, field in enumerate(chosen) if field.primary_key), None),
    )


class Columns:
    """The concrete columns of ``model`` under the SQL alias ``alias`` (``p``, ``b``, …), or
    only the fields named in ``names`` (then read as plain values, see ``values``)."""

    def __init__(
        self, model: type[Model], alias: str, names: tuple[str, ...] | None = None
    ) -> None:
        self.model = model
        self.alias = alias
        self.names = names
        self.width = len(model._meta.concrete_fields if names is None else names)

    def select(self, using: str = "default") -> str:
        """``p."id", p."slug", …``: the select list, in the model's field order (or the
        order of ``names``)."""
        quote = connections[using].ops.quote_name
        columns = _reading(self.model, using, self.names).columns
        return ", ".join(f"{self.alias}.{quote(column)}" for column in columns)

    def values(self, row: Sequence[Any], start: int = 0, using: str = "default") -> list[Any]:
        """``row[start:start + width]`` with each field's converters applied."""
        connection = connections[using]
        values = list(row[start : start + self.width])
        for i, (expression, converters) in enumerate(
            _reading(self.model, using, self.names).converters
        ):
            for converter in converters:
                values[i] = converter(values[i], expression, connection)
        return values

    def converts(self, using: str = "default") -> bool:
        """Whether any field needs converting on this database (SQLite's dates and times do;
        PostgreSQL's come back as Python values already)."""
        reading = _reading(self.model, using, self.names)
        return any(converters for _expression, converters in reading.converters)

    def build(self, row: Sequence[Any], start: int, using: str = "default") -> Model | None:
        """The instance in ``row[start:start + width]``; None when its key is NULL (a LEFT
        JOIN that found nothing)."""
        reading = _reading(self.model, using, self.names)
        assert self.names is None and reading.pk_index is not None, "whole rows make instances"
        values = self.values(row, start, using)
        if values[reading.pk_index] is None:
            return None
        return self.model.from_db(using, reading.attnames, values)
