"""What relations and columns the gate's role can see: suites adapt to the published columns.

Read once per run from information_schema (metadata only, no table data). The marts contract
fixes the names BI relies on; other columns are welcome, and the personal-data checks must
cover every text column, including ones added later.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

TEXT_TYPES = frozenset({"text", "character varying", "character", "json", "jsonb", "ARRAY", "USER-DEFINED"})
INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})
NUMERIC_TYPES = INTEGER_TYPES | {"numeric", "double precision", "real"}


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str

    @property
    def is_text(self) -> bool:
        return self.data_type in TEXT_TYPES

    @property
    def is_integer(self) -> bool:
        return self.data_type in INTEGER_TYPES

    @property
    def is_numeric(self) -> bool:
        return self.data_type in NUMERIC_TYPES


@dataclass
class Catalog:
    relations: dict[str, list[Column]] = field(default_factory=dict)   # "schema.table" -> columns

    @classmethod
    def load(cls, conn: psycopg.Connection, schemas: tuple[str, ...] = ("raw", "staging", "marts")) -> "Catalog":
        rows = conn.execute(
            """select table_schema, table_name, column_name, data_type
                 from information_schema.columns
                where table_schema = any(%s)
                order by table_schema, table_name, ordinal_position""",
            (list(schemas),),
        ).fetchall()
        catalog = cls()
        for schema, table, column, data_type in rows:
            catalog.relations.setdefault(f"{schema}.{table}", []).append(Column(column, data_type))
        return catalog

    def has(self, relation: str) -> bool:
        return relation in self.relations

    def columns(self, relation: str) -> list[Column]:
        return self.relations.get(relation, [])

    def names(self, relation: str) -> list[str]:
        return [c.name for c in self.columns(relation)]

    def tables_in(self, schema: str) -> list[str]:
        return sorted(r for r in self.relations if r.startswith(schema + "."))

    def first_present(self, relation: str, candidates: tuple[str, ...]) -> str | None:
        names = set(self.names(relation))
        return next((c for c in candidates if c in names), None)
