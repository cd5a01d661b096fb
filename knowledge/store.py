"""The opened database: engine, sessions, and loading the bundled data on first use."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from knowledge.applicability import load_overrides
from knowledge.catalogue import BUNDLED_CATALOGUE, apply_catalogue, current_version, read_catalogue
from knowledge.db import make_engine, make_sessionmaker, without_statement_timeout
from knowledge.migrations import prepare_schema
from knowledge.models import CatalogueVersion, Unit
from knowledge.settings import Settings, get_settings
from knowledge.units import load_offices, load_units

_LOAD_LOCK_KEY = 0x7474_6863_0002  # pg_advisory_xact_lock key: one process loads the bundled data


@dataclass(frozen=True)
class LoadSummary:
    """What one :meth:`Store.ensure_loaded` call loaded: rows inserted or changed per kind of data
    (``units`` counts the units and their old → new successions)."""

    procedures: int = 0
    units: int = 0
    offices: int = 0
    overrides: int = 0

    @property
    def changed(self) -> bool:
        return any((self.procedures, self.units, self.offices, self.overrides))


@dataclass
class Store:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    def ensure_loaded(self) -> LoadSummary:
        """Bring the schema up to date and load whatever bundled data the database lacks.

        The schema is migrated with Alembic on PostgreSQL and created directly on a fresh SQLite
        file (see knowledge.migrations.prepare_schema). The bundled catalogue is loaded when no
        catalogue version is current, and the units when there are none; the one-stop offices and
        per-unit overrides come with the units, once, because they hang on unit rows and an
        administrator's later edits to them must not be undone by the next start. A catalogue
        reloaded since is never replaced. Running it again changes nothing and, after the schema
        check, costs one query.
        """
        prepare_schema(self.engine)
        if self._loaded():
            return LoadSummary()
        with self.sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Several bot processes may start at once: the first loads, the others then find it done.
                without_statement_timeout(session)
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOAD_LOCK_KEY})
            procedures = units = offices = overrides = 0
            if current_version(session) is None:
                catalogue = read_catalogue(BUNDLED_CATALOGUE)
                apply_catalogue(session, catalogue, "bundled", "load")
                procedures = len(catalogue.procedures)
            if session.scalar(select(Unit.id).limit(1)) is None:
                units = load_units(session)
                offices = load_offices(session)
                overrides = load_overrides(session)
        return LoadSummary(procedures, units, offices, overrides)

    def _loaded(self) -> bool:
        """Whether both the catalogue and the units are there, in one cheap query."""
        with self.engine.connect() as conn:
            return bool(
                conn.scalar(
                    select(
                        select(CatalogueVersion.id).where(CatalogueVersion.is_current.is_(True)).exists()
                        & select(Unit.id).exists()
                    )
                )
            )

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings | None = None, *, load: bool = True, serving: bool = False) -> Store:
    """The database of ``settings``; ``serving`` (the bot) adds a statement timeout on PostgreSQL
    (``TTHC_DB_TIMEOUT``) so that a stuck database is answered "busy" (see knowledge.db)."""
    settings = settings or get_settings()
    engine = make_engine(
        settings.db_url, settings.db_timeout, statement_timeout=settings.db_timeout if serving else None
    )
    store = Store(settings, engine, make_sessionmaker(engine))
    if load:
        store.ensure_loaded()
    return store
