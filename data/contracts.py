"""The row contract of every table and the importer's configuration, as pydantic models.

The contract is what a file must satisfy to be imported (../shared/event-schema.md): column
names, kinds, which columns may be NULL or take a default, allowed values, ranges and keys.
Names, kinds, nullability, defaults and keys are *derived* from `data.schema.TABLES`, so the
contract cannot drift from the tables it loads into; only the value rules the database does
not enforce (vocabularies, ranges) are written here, and they are checked against the tables
when this module is imported.

>>> CONTRACTS["message_events"].key
('event_id',)
>>> CONTRACTS["users"].column("is_test").default
False
>>> CONTRACTS["campaigns"].column("conversion_window_hours").required
False
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from data.schema import TABLES
from data.vocabulary import EVENT_TYPES

CHANNELS: tuple[str, ...] = ("push", "in_app", "email", "sms")
"""Values of `campaigns.channel` and `actions.channel`."""

BOUNCE_TYPES: tuple[str, ...] = ("hard", "soft")
"""Values of `message_events.bounce_type` (NULL counts as hard in the glossary)."""


class Kind(StrEnum):
    """How a cell's text is read: the five column types of the event schema."""

    TEXT = "text"
    TIMESTAMP = "timestamp"
    INTEGER = "integer"
    DOUBLE = "double"
    BOOLEAN = "boolean"


DefaultValue = bool | int | float | str


class ValueRule(BaseModel):
    """A rule on a column's values that the database itself does not enforce."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


class ColumnContract(BaseModel):
    """One column: its kind, whether it may be NULL, its default and its value rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Kind
    nullable: bool
    default: DefaultValue | None = None
    rule: ValueRule = ValueRule()

    @property
    def required(self) -> bool:
        """A required column must be in every file and have a value in every row."""
        return not self.nullable and self.default is None


class TableContract(BaseModel):
    """Every column of one table, in table order, and the key that identifies a row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    key: tuple[str, ...] = Field(min_length=1)
    columns: tuple[ColumnContract, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _key_columns_exist(self) -> TableContract:
        missing = set(self.key) - set(self.names)
        if missing:
            raise ValueError(f"key columns {sorted(missing)} are not columns of {self.name}")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> ColumnContract:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


class ImportConfig(BaseModel):
    """What one run of the importer was asked to do (the command line, validated)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    paths: tuple[Path, ...] = Field(min_length=1)
    database_url: str | None = None
    rejects_path: Path | None = None
    ignore_unknown_columns: bool = False


VALUE_RULES: dict[str, dict[str, ValueRule]] = {
    "campaigns": {
        "channel": ValueRule(allowed=CHANNELS),
        "conversion_window_hours": ValueRule(minimum=0),
    },
    "variants": {"allocation": ValueRule(minimum=0, maximum=1)},
    "actions": {
        "channel": ValueRule(allowed=CHANNELS),
        "position": ValueRule(minimum=1),
    },
    "message_events": {
        "event_type": ValueRule(allowed=EVENT_TYPES),
        "bounce_type": ValueRule(allowed=BOUNCE_TYPES),
    },
    "sessions": {"duration_seconds": ValueRule(minimum=0)},
}
"""Rules beyond the column types, from the event schema's tables."""


def _kind(column: sa.Column[Any]) -> Kind:
    # Order matters: Double is a Float, and every one of these is a TypeEngine.
    column_type = column.type
    if isinstance(column_type, sa.DateTime):
        return Kind.TIMESTAMP
    if isinstance(column_type, sa.Boolean):
        return Kind.BOOLEAN
    if isinstance(column_type, sa.Float):
        return Kind.DOUBLE
    if isinstance(column_type, sa.Integer):
        return Kind.INTEGER
    if isinstance(column_type, sa.String):
        return Kind.TEXT
    raise TypeError(f"no import kind for {column.table.name}.{column.name} ({column_type})")


def _default(column: sa.Column[Any], kind: Kind) -> DefaultValue | None:
    """The server default as a Python value, so the importer fills the same value itself."""
    server_default = column.server_default
    if server_default is None:
        return None
    argument = getattr(server_default, "arg", None)
    if isinstance(argument, sa.sql.elements.False_):
        return False
    if isinstance(argument, sa.sql.elements.True_):
        return True
    if isinstance(argument, str):
        match kind:
            case Kind.INTEGER:
                return int(argument)
            case Kind.DOUBLE:
                return float(argument)
            case Kind.BOOLEAN:
                return argument.strip().lower() in {"true", "1"}
            case Kind.TEXT:
                return argument
    raise TypeError(f"cannot read the default of {column.table.name}.{column.name}")


def contract_for(table: sa.Table, rules: dict[str, ValueRule] | None = None) -> TableContract:
    """Derive a table's contract from its SQLAlchemy definition plus its value rules."""
    rules = rules or {}
    unknown = set(rules) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"value rules name columns {sorted(unknown)} that {table.name} lacks")
    columns = []
    for column in table.columns:
        kind = _kind(column)
        columns.append(
            ColumnContract(
                name=column.name,
                kind=kind,
                nullable=bool(column.nullable) and not column.primary_key,
                default=_default(column, kind),
                rule=rules.get(column.name, ValueRule()),
            )
        )
    key = tuple(column.name for column in table.primary_key.columns)
    return TableContract(name=table.name, key=key, columns=tuple(columns))


def _all_contracts() -> dict[str, TableContract]:
    unknown_tables = set(VALUE_RULES) - set(TABLES)
    if unknown_tables:
        raise ValueError(f"value rules name tables {sorted(unknown_tables)} that do not exist")
    return {name: contract_for(table, VALUE_RULES.get(name)) for name, table in TABLES.items()}


CONTRACTS: dict[str, TableContract] = _all_contracts()
"""The contract of every table, by table name (= the stem of an import file)."""
