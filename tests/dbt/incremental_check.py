"""The incremental tests' helpers: read and write the test database as the transform role, and
compare the table an incremental run built with the one a full refresh builds."""
from __future__ import annotations

from ingestion import db


def rows(dbname: str, sql: str) -> list[tuple]:
    with db.connect("transform", dbname) as conn:
        return conn.execute(sql).fetchall()


def execute(dbname: str, sql: str) -> None:
    with db.connect("transform", dbname, autocommit=True) as conn:
        conn.execute(sql)


def save_copy(dbname: str, table: str, saved: str) -> None:
    """Copy `table` to `saved` (replacing it), to compare after the next build."""
    execute(dbname, f"drop table if exists {saved}")
    execute(dbname, f"create table {saved} as select * from {table}")


def differences(dbname: str, one: str, other: str) -> tuple[int, int]:
    """Rows of `one` missing from `other`, and of `other` missing from `one`; `except all`, so a
    row built twice on one side counts. (0, 0): the two tables hold the same rows."""
    only_one = rows(dbname, f"select count(*) from (select * from {one} except all select * from {other}) d")[0][0]
    only_other = rows(dbname, f"select count(*) from (select * from {other} except all select * from {one}) d")[0][0]
    return only_one, only_other
