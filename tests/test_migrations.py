from __future__ import annotations

import hashlib
import importlib
import pkgutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

import knowledge
from bot.cli import main
from knowledge.compliance.roles import consume_invite
from knowledge.db import create_schema, make_engine
from knowledge.migrations import (
    BASELINE_REVISION,
    BASELINE_TABLES,
    MODEL_MODULES,
    REVISION_MARKS,
    SchemaError,
    alembic_config,
    current_revision,
    head_revision,
    load_metadata,
    prepare_schema,
    upgrade,
)
from knowledge.models import Base, Procedure
from knowledge.settings import get_settings


def import_every_knowledge_module() -> None:
    """So that a model module missing from MODEL_MODULES (or from the migrations) is noticed."""
    for module in pkgutil.walk_packages(knowledge.__path__, "knowledge."):
        if module.name != "knowledge.migrations.env":  # runs Alembic when imported
            importlib.import_module(module.name)


@pytest.fixture
def bare(db_url: str) -> Iterator[Engine]:
    """An engine on an empty database (no create_all, unlike the `engine` fixture)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_every_table_comes_from_a_listed_model_module() -> None:
    import_every_knowledge_module()
    modules = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert modules <= set(MODEL_MODULES)


def test_migrations_build_the_models_schema(bare: Engine) -> None:
    import_every_knowledge_module()
    assert upgrade(bare) == head_revision()
    with bare.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_nothing_and_back(bare: Engine) -> None:
    upgrade(bare)
    config = alembic_config()
    with bare.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert tables(bare) <= {"alembic_version"}
    upgrade(bare)
    assert tables(bare) >= BASELINE_TABLES


def test_fresh_sqlite_is_created_directly(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    prepare_schema(engine)
    assert tables(engine) >= BASELINE_TABLES and "alembic_version" not in tables(engine)
    engine.dispose()


def test_prepare_upgrades_a_managed_database(bare: Engine) -> None:
    config = alembic_config()
    with bare.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, BASELINE_REVISION)
    prepare_schema(bare)
    assert current_revision(bare) == head_revision()


def test_postgres_is_always_migrated(bare: Engine) -> None:
    if bare.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    prepare_schema(bare)
    assert current_revision(bare) == head_revision()


def test_create_all_database_is_adopted_with_its_rows(bare: Engine) -> None:
    create_schema(bare)
    with Session(bare) as session, session.begin():
        session.add(Procedure(code="1.000001", name="Giữ nguyên", source="test"))
    assert upgrade(bare) == head_revision()
    with Session(bare) as session:
        assert session.get(Procedure, 1) is not None


def _unmanaged_at(engine: Engine, revision: str) -> None:
    """The schema a create_all of the version at ``revision`` made: migrated there, then unstamped."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.execute(text("DROP TABLE alembic_version"))


def test_pre_migrations_database_is_adopted_at_the_baseline(bare: Engine) -> None:
    _unmanaged_at(bare, BASELINE_REVISION)
    assert upgrade(bare) == head_revision()
    assert tables(bare) >= set(load_metadata().tables)


@pytest.mark.parametrize("revision", [mark for mark, _table, _column in REVISION_MARKS])
def test_older_create_all_database_is_adopted_where_it_stands(bare: Engine, revision: str) -> None:
    _unmanaged_at(bare, revision)
    assert upgrade(bare) == head_revision()
    with bare.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, load_metadata()) == []


def test_every_revision_leaves_a_mark() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    later = {rev.revision for rev in script.walk_revisions()} - {BASELINE_REVISION}
    assert [mark for mark, _table, _column in REVISION_MARKS] == sorted(later)


def test_sqlite_made_by_an_older_version_is_migrated_on_start(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    _unmanaged_at(engine, "0003")
    prepare_schema(engine)
    assert current_revision(engine) == head_revision()
    assert "publisher" in {column["name"] for column in inspect(engine).get_columns("procedures")}
    engine.dispose()


def test_partial_unmanaged_schema_is_refused(bare: Engine) -> None:
    Procedure.__table__.create(bare)
    with pytest.raises(SchemaError, match="catalogue_versions"):
        upgrade(bare)
    assert current_revision(bare) is None


def test_concurrent_workers_migrate_once(bare: Engine) -> None:
    if bare.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    errors: list[BaseException] = []

    def start_worker() -> None:
        try:
            upgrade(bare)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    workers = [threading.Thread(target=start_worker) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    with bare.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    assert current_revision(bare) == head_revision()


def test_migrate_command(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        assert main(["migrate"]) == 0
        assert f"→ {head_revision()}" in capsys.readouterr().out
        assert main(["migrate"]) == 0
        assert "đã ở bản mới nhất" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


def test_dossiers_move_to_their_day_of_reception(bare: Engine) -> None:
    """0005: a dossier submitted on 31 March and accepted on 1 April belongs to 1 April, and the
    summary is rebuilt to match."""
    config = alembic_config()
    with bare.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
        conn.execute(
            text(
                "INSERT INTO units (id, era, code, name, kind, province_code, tags)"
                " VALUES (1, '2008', '16174', 'Thị trấn Yên Cát', 'township', '38', '[]')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO dossiers (code, procedure_code, unit_id, tier1_id, channel, status,"
                " submitted_at, submitted_day, accepted_at, due_at, supplement_count, supplement_hours,"
                " fee_bearing, paid_online, digitised, e_result, reused, apology, imported_at)"
                " VALUES ('D1', '1.001193', 1, 1, 2, 4, '2021-03-31 16:00:00', '2021-03-31',"
                " '2021-04-01 08:00:00', '2021-04-05 08:00:00', 0, 0, false, false, false, false, false,"
                " false, '2021-04-02 00:00:00')"
            )
        )
    assert upgrade(bare) == head_revision()
    with bare.connect() as conn:
        assert str(conn.scalar(text("SELECT received_day FROM dossiers"))) == "2021-04-01"
        summary = conn.execute(text("SELECT day, received, in_progress FROM dossier_daily")).one()
        assert (str(summary[0]), summary[1], summary[2]) == ("2021-04-01", 1, 1)


def test_invites_made_before_tokens_were_hashed_keep_working(bare: Engine) -> None:
    """Migration 0007 replaces every stored invite token by its hash: an invite sent before still
    opens, and the database no longer holds it in clear (issue 13, item 10)."""
    config = alembic_config()
    with bare.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
        conn.execute(
            text(
                "INSERT INTO units (id, era, code, name, kind, province_code, tags)"
                " VALUES (1, '2025', '16225', 'Xã Thượng Ninh', 'commune', '38', '[]')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO official_invites (token, unit_id, created_by, created_at, expires_at)"
                " VALUES ('clear-token-sent-last-week', 1, 7, '2026-03-01 08:00', '2099-01-01 00:00')"
            )
        )
    upgrade(bare)
    with bare.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM official_invites")).scalar()
    assert stored == hashlib.sha256(b"clear-token-sent-last-week").hexdigest()
    with Session(bare) as session, session.begin():
        official = consume_invite(session, "inv_clear-token-sent-last-week", 555)
        assert official is not None and official.unit_id == 1
