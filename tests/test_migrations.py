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


def test_pre_migrations_database_is_adopted_at_the_baseline(bare: Engine) -> None:
    metadata = load_metadata()
    metadata.create_all(bare, tables=[metadata.tables[name] for name in BASELINE_TABLES])
    assert upgrade(bare) == head_revision()
    assert tables(bare) >= set(metadata.tables)


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


def test_invites_made_before_tokens_were_hashed_keep_working(bare: Engine) -> None:
    """Migration 0005 replaces every stored invite token by its hash: an invite sent before still
    opens, and the database no longer holds it in clear (issue 13, item 10)."""
    config = alembic_config()
    with bare.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
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
        stored = conn.execute(text("SELECT token FROM official_invites")).scalar()
    assert stored == hashlib.sha256(b"clear-token-sent-last-week").hexdigest()
    with Session(bare) as session, session.begin():
        official = consume_invite(session, "inv_clear-token-sent-last-week", 555)
        assert official is not None and official.unit_id == 1
