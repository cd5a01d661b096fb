"""Shared fixtures: a fresh database per test, on SQLite always and on PostgreSQL when
TEST_DATABASE_URL is set (each test then gets its own schema, dropped afterwards)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.handlers.services import Services
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.importers.units import build as build_units
from tests.botworld import open_world, running_bot
from tests.databases import fresh_database
from tests.fakebotapi import FakeBotAPI

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: pass --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _backends() -> list[object]:
    return [
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set"),
            ],
        ),
    ]


@pytest.fixture(scope="session")
def units_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The units file the importer writes from the small raw fixtures (Như Xuân, Ba Đình…)."""
    path = tmp_path_factory.mktemp("units") / "units.json.gz"
    build_units(Path(__file__).parent / "fixtures" / "raw_units", path)
    return path


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    with fresh_database(PG_URL if request.param == "postgres" else None, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


# The bot's world (tests/botworld.py) over the test's database; a module needing more in it (an
# admin, officials, dossiers) overrides ``world``, and ``api`` then serves that one.
@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index")
    yield services
    services.close()


@pytest.fixture
def transport() -> str:
    """The bot's transport to the Bot API (TTHC_TRANSPORT). The end-to-end modules that must pass on
    both (test_bot_telegram, test_webhook) override it with one parametrized over ``TRANSPORTS``."""
    return "aiohttp"


@pytest.fixture
async def api(world: Services, transport: str) -> AsyncIterator[FakeBotAPI]:
    """The fake Bot API with the bot polling it."""
    async with FakeBotAPI() as server, running_bot(server, world, transport):
        yield server
