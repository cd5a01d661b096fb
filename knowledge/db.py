"""Engine and session factory. SQLite is the embedded default, PostgreSQL the production database.

Every engine gives up waiting after ``timeout`` seconds: for a lock on SQLite (its busy timeout),
for a connection on PostgreSQL (connecting, and a free one in the pool). The bot's engine also has a
statement timeout on PostgreSQL, so that a database that is stuck (a lock never released, a query
that never ends) costs a citizen a few seconds and a "busy" answer, not half a minute of silence;
the few statements that may rightly wait long (migrations, the first load, a reload waiting for
another) lift it for their own transaction with :func:`without_statement_timeout`.

The SQLite file holds invite hashes and what citizens chose: it is created readable by its owner
only (0600), in a folder created 0700, and an existing file is narrowed to 0600.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_TIMEOUT = 5.0  # seconds; TTHC_DB_TIMEOUT in the bot's settings


def private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by its owner only, if it does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
        path.chmod(0o700)


def _private_file(path: Path) -> None:
    """Create the database file 0600 if missing; narrow an existing one (and its WAL) to 0600."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.is_file() and stat.S_IMODE(file.stat().st_mode) & 0o077:
            file.chmod(0o600)


def make_engine(url: str, timeout: float = DEFAULT_TIMEOUT, statement_timeout: float | None = None) -> Engine:
    """Create an engine. SQLite: the file (and its folder) created private, WAL and foreign keys on,
    ``timeout`` as its busy timeout. PostgreSQL: ``timeout`` to connect and to wait for a pooled
    connection, and ``statement_timeout`` (seconds) for every statement when given."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            private_folder(Path(path).parent)
            _private_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    parsed = make_url(url)
    if statement_timeout is not None and parsed.get_backend_name() == "postgresql":
        options = parsed.query.get("options", "")
        given = " ".join(options) if isinstance(options, tuple) else options
        setting = f"-c statement_timeout={round(statement_timeout * 1000)}"
        parsed = parsed.update_query_dict({"options": f"{given} {setting}".strip()})
    connect_args = {"connect_timeout": max(2, math.ceil(timeout))}  # libpq's minimum is 2 s
    return create_engine(parsed, pool_pre_ping=True, pool_timeout=timeout, connect_args=connect_args)


def without_statement_timeout(session: Session | Connection) -> None:
    """Lift the statement timeout for the rest of this transaction (PostgreSQL): it is about to
    wait for another process's lock, or to run statements that may rightly take long."""
    connection = session.connection() if isinstance(session, Session) else session
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL statement_timeout = 0"))


def create_schema(engine: Engine) -> None:
    """Create every table that does not exist yet (the Alembic baseline describes the same schema).

    The metadata comes from every model module listed in knowledge.migrations.MODEL_MODULES, not
    only the ones imported so far (imported here: Alembic is only needed once a schema is made).
    """
    from knowledge.migrations import load_metadata

    load_metadata().create_all(engine)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
