"""Transactions that cannot lose an update, on SQLite and PostgreSQL alike.

PostgreSQL: services lock the rows they change (``SELECT ... FOR UPDATE``) or
change counters with one atomic ``UPDATE``.

SQLite: pysqlite's own transaction handling is switched off, so SQLAlchemy
emits ``BEGIN`` itself. A service that writes opens its transaction with
:func:`write_transaction`, which issues ``BEGIN IMMEDIATE``: the write lock is
taken before the first read, so two writers queue on the busy timeout instead
of one failing when it upgrades a read lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.dml import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite.dml import Insert as SqliteInsert
from sqlalchemy.engine import Engine

from voice.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Ids are 32-bit integers on every database; a larger number names no row.
MAX_ID = 2**31 - 1
IMMEDIATE = "voice_immediate"


def install_sqlite_hooks() -> None:
    """Listen on every engine's connections and transactions (idempotent).

    Called by the app factory; SQLite connections get WAL, the busy timeout and
    foreign keys, and SQLite transactions begin as this module's docstring says.
    """
    for name, listener in (("connect", _sqlite_on_connect), ("begin", _sqlite_on_begin)):
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)


def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    immediate = conn.get_execution_options().get(IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def as_id(number: int) -> int:
    """``number`` if it can be an id, else 0 (no row has it): a lookup then finds nothing
    instead of overflowing the column's type in the database (a 500 on PostgreSQL)."""
    return number if 0 < number <= MAX_ID else 0


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block as one write transaction: committed whole or rolled back whole.

    Whatever read-only transaction the request had open (loading the user, say)
    is ended first, so on SQLite the write lock is taken before the first read
    of the block. A service called from inside another's block joins the outer
    transaction instead of committing it early.
    """
    session = db.session()  # the request's Session, not the scoped proxy
    if session.info.get(IMMEDIATE):
        yield
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})
    session.info[IMMEDIATE] = True
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(IMMEDIATE, None)


def upsert(table: Table | type, dialect: str | None = None) -> PostgresInsert | SqliteInsert:
    """The dialect's ``INSERT ... ON CONFLICT`` for ``table`` (a Table or a mapped class).

    PostgreSQL and SQLite spell it the same way, but SQLAlchemy keeps one ``insert`` per
    dialect; this picks the one the engine speaks (or ``dialect``, for statements built
    once per dialect), so callers add ``.on_conflict_do_update/nothing`` and nothing else.
    """
    name = dialect or db.engine.dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)
