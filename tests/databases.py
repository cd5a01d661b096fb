"""The empty database a test or a benchmark runs on, made and removed around it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


@contextmanager
def fresh_database(url: str | None, folder: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file in ``folder`` without ``url``, else a new schema
    of the PostgreSQL database at ``url``, dropped afterwards."""
    if not url:
        yield f"sqlite:///{folder / 'scratch.sqlite3'}"
        return
    schema = f"scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
