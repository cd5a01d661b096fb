"""Alembic environment: the project's metadata, the settings' database URL, batch mode on SQLite.

Run through :func:`knowledge.migrations.upgrade` a connection is passed in ``config.attributes``;
run through Alembic's own command line the URL comes from ``sqlalchemy.url`` or the settings.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from knowledge.db import make_engine
from knowledge.migrations import load_metadata
from knowledge.settings import get_settings

config = context.config
target_metadata = load_metadata()


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().db_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """``alembic upgrade --sql``: print the SQL for a DBA instead of running it."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
