"""The database connection: private files, and timeouts so that a stuck database means a quick
"busy" answer rather than silence (issue 13, item 10)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from knowledge.db import create_schema, make_engine, private_folder


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_sqlite_file_and_its_folder_are_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask: files 0644, folders 0755
    try:
        path = tmp_path / "data" / "tthc.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        create_schema(engine)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO chat_users (telegram_id, last_results, pending, created_at, updated_at)"
                    " VALUES (1, '[]', '{}', '2026-01-01', '2026-01-01')"
                )
            )
        engine.dispose()
    finally:
        os.umask(old_umask)
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists():
            assert mode(companion) == 0o600


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "tthc.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600


def test_the_data_folder_is_made_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        private_folder(tmp_path / "var" / "tthc")
    finally:
        os.umask(old_umask)
    assert mode(tmp_path / "var" / "tthc") == 0o700


def test_sqlite_waits_for_a_lock_only_so_long(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}", timeout=1.5)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1500
    engine.dispose()


def test_a_serving_engine_has_a_statement_timeout(db_url: str) -> None:
    engine = make_engine(db_url, timeout=2.0, statement_timeout=3.0)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "3s"
            if "search_path" in db_url:  # the URL's own options are kept
                assert "scratch_" in str(conn.exec_driver_sql("SHOW search_path").scalar())
            assert engine.pool.timeout() == 2.0
        else:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000
    engine.dispose()
