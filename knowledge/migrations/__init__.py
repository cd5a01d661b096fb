"""Alembic migrations, packaged with the project, and the few calls the program makes to them.

PostgreSQL (production) is always migrated: :func:`prepare_schema` runs ``upgrade head`` under an
advisory lock, so several bot processes starting at once migrate once. SQLite (the embedded default)
keeps ``create_all`` — a fresh file gets the current schema directly — unless it is already under
Alembic (after ``tthc-bot migrate``), in which case it is upgraded like PostgreSQL.

Every module that defines tables must be listed in :data:`MODEL_MODULES`, so that ``create_all``,
Alembic's autogenerate and the schema test all see the same metadata.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from knowledge.db import create_schema

MODEL_MODULES = (
    "knowledge.models",
    "knowledge.audit",
    "knowledge.usage",
    "knowledge.reload",
    "knowledge.compliance.models",
    "knowledge.calendarstore",
    "knowledge.posting",
)
BASELINE_REVISION = "0001"
# The tables of the baseline revision, to adopt a database made by create_all (see _adoptable_revision).
BASELINE_TABLES = frozenset(
    {
        "procedures",
        "units",
        "unit_successions",
        "one_stop_offices",
        "applicability_overrides",
        "catalogue_versions",
        "chat_users",
        "audit_log",
        "query_log",
    }
)
# What each later revision added, as a database made by create_all shows it (a table, or a table's
# column), oldest first: how far a database made without Alembic had come. Every new migration adds
# its mark here (tests/test_migrations.py checks that each revision has one).
REVISION_MARKS: tuple[tuple[str, str, str | None], ...] = (
    ("0002", "dossiers", None),
    ("0003", "pending_reloads", None),
    ("0004", "procedures", "publisher"),
    ("0005", "apology_letters", None),
    ("0006", "one_stop_offices", "latitude"),
    ("0007", "official_invites", "token_hash"),
    ("0008", "agency_units", None),
    ("0009", "posting_lists", None),
    ("0010", "everyday_phrases", None),
)
INI_PATH = Path(__file__).resolve().parent.parent / "alembic.ini"
_LOCK_KEY = 0x7474_6863_0000  # pg_advisory_lock key: one migrating process at a time


class SchemaError(RuntimeError):
    """The database schema cannot be brought up to date automatically."""


def load_metadata() -> MetaData:
    """Import every model module and return the shared metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from knowledge.models import Base

    return Base.metadata


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(INI_PATH))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _lock(conn: Connection, take: bool) -> None:
    if conn.dialect.name == "postgresql":
        function = "pg_advisory_lock" if take else "pg_advisory_unlock"
        conn.execute(text(f"SELECT {function}(:key)"), {"key": _LOCK_KEY})
        conn.commit()


def _adoptable_revision(conn: Connection) -> str:
    """The revision a database made by create_all stands at: the last one whose mark it shows."""
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    if not tables >= BASELINE_TABLES:
        raise SchemaError(
            "cơ sở dữ liệu có một phần bảng nhưng không do Alembic quản lý; thiếu: "
            + ", ".join(sorted(BASELINE_TABLES - tables))
        )
    revision = BASELINE_REVISION
    for mark, table, column in REVISION_MARKS:
        if table not in tables:
            break
        if column is not None and column not in {c["name"] for c in inspector.get_columns(table)}:
            break
        revision = mark
    return revision


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to ``revision`` (adopting a create_all database); returns the new revision."""
    config = alembic_config()
    with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:  # waiting for another process's migration, or a long one, is no stuck database
            conn.execute(text("SET statement_timeout = 0"))
            conn.commit()
        _lock(conn, True)
        try:
            config.attributes["connection"] = conn
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" not in tables and tables & BASELINE_TABLES:
                command.stamp(config, _adoptable_revision(conn))
            command.upgrade(config, revision)
            conn.commit()
        finally:
            conn.rollback()
            _lock(conn, False)
            if postgres:
                conn.execute(text("RESET statement_timeout"))  # back to the engine's own
                conn.commit()
    return current_revision(engine)


def _behind_head(engine: Engine) -> bool:
    """Whether a database made by create_all was made by an older version (it lacks a later mark)."""
    with engine.connect() as conn:
        if not set(inspect(conn).get_table_names()) & BASELINE_TABLES:
            return False
        return _adoptable_revision(conn) != head_revision()


def prepare_schema(engine: Engine) -> None:
    """Make the schema current: migrations on PostgreSQL (and managed SQLite), create_all on a new
    SQLite file; an unmanaged SQLite file made by an older version is adopted and migrated."""
    if engine.dialect.name != "sqlite" or current_revision(engine) is not None or _behind_head(engine):
        upgrade(engine)
    else:
        create_schema(engine)
