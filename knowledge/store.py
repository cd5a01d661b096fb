"""The opened database: engine, sessions, and loading the bundled data on first use."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from knowledge.catalogue import BUNDLED_CATALOGUE, apply_catalogue, current_version, read_catalogue
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.settings import Settings, get_settings


@dataclass
class Store:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    def ensure_loaded(self) -> bool:
        """Create the schema and load the bundled data if the database is empty.

        Returns True when something was loaded; running it again changes nothing.
        """
        create_schema(self.engine)
        loaded = False
        with self.sessions.begin() as session:
            if current_version(session) is None:
                apply_catalogue(session, read_catalogue(BUNDLED_CATALOGUE), "bundled", "load")
                loaded = True
        return loaded

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings | None = None, *, load: bool = True) -> Store:
    settings = settings or get_settings()
    engine = make_engine(settings.db_url)
    store = Store(settings, engine, make_sessionmaker(engine))
    if load:
        store.ensure_loaded()
    return store
