"""A small world for the bot's tests and benchmark: real units, a citizen's catalogue, a search index.

The units are cut from the bundled units file (``tests/fixtures/bot/units.json``: the communes once
called Cát Vân, Cát Văn and Hồng Hà, what they became in 2025, and what else went into those); the
procedures come from the factories.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.app import BotApplication, build_application
from bot.dialogue import Dialogue
from bot.handlers.services import Services
from index.service import SearchService
from knowledge.catalogue import apply_catalogue
from knowledge.db import create_schema, make_engine, make_sessionmaker
from knowledge.settings import Settings
from knowledge.store import Store
from knowledge.units import load_units
from tests.factories import NO_EVERYDAY_NAMES, answering, catalogue, procedure_record
from tests.fakebotapi import FakeBotAPI

UNITS = Path(__file__).parent / "fixtures" / "bot" / "units.json"
BIRTH = "1.001193"
MARRIAGE = "1.000894"
ID_CARD = "1.001622"
PORTAL_BIRTH = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-95d6-778f-889b-e3045003fa5e"
FILLER_FIELDS = ("Chứng thực", "Đất đai", "Nuôi con nuôi")
FILLER_COUNT = 24  # enough commune procedures for three pages of /thutuc


def citizen_records() -> list[dict[str, Any]]:
    """Procedures a citizen asks about, and enough commune-level ones to page through."""
    records = [
        procedure_record(
            code=BIRTH,
            name="Đăng ký khai sinh",
            keywords=["làm giấy khai sinh", "khai sinh cho con"],
            related=[MARRIAGE],
            portal_url=PORTAL_BIRTH,
            implementing_agency="Ủy ban nhân dân cấp xã",
        ),
        procedure_record(
            code=MARRIAGE,
            name="Đăng ký kết hôn",
            result="Giấy chứng nhận kết hôn",
            documents=[{"name": "Tờ khai đăng ký kết hôn", "quantity": "1 bản chính"}],
            keywords=["làm giấy đăng ký kết hôn"],
        ),
        procedure_record(
            code=ID_CARD,
            name="Cấp lại thẻ căn cước",
            field="Cấp, quản lý căn cước",
            levels=["tinh"],
            competent_agency="Công an cấp tỉnh",
            result="Thẻ căn cước",
            documents=[],
            related=[],
        ),
    ]
    for number in range(FILLER_COUNT):
        records.append(
            procedure_record(
                code=f"2.{number + 100:06d}",
                name=f"Thủ tục mẫu số {number + 1} về {FILLER_FIELDS[number % 3].lower()}",
                field=FILLER_FIELDS[number % 3],
            )
        )
    return records


def populate(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        apply_catalogue(session, catalogue(*citizen_records()), "test", "test")
        load_units(session, UNITS, tags_path=None)


def open_world(
    db_url: str, index_dir: Path, *, db_timeout: float = 5.0, admins: tuple[int, ...] = ()
) -> Services:
    """Services over a fresh database at ``db_url`` holding the test world, and its search index;
    the database is opened as the bot opens it (``db_timeout``: TTHC_DB_TIMEOUT); ``admins``: the
    Telegram ids of TTHC_ADMIN_IDS."""
    engine = make_engine(db_url, db_timeout, statement_timeout=db_timeout)
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    populate(sessions)
    search = SearchService(sessions, index_dir, everyday=NO_EVERYDAY_NAMES, model=answering())
    search.ensure_index()
    admin_ids = {"TTHC_ADMIN_IDS": ",".join(map(str, admins))} if admins else {}
    settings = Settings(
        TTHC_DATA_DIR=index_dir.parent, DATABASE_URL=db_url, TTHC_DB_TIMEOUT=db_timeout, **admin_ids
    )
    return Services(
        Store(settings, engine, sessions), search, Dialogue(sessions, search, bot_username="tthc_bot")
    )


TRANSPORTS = ("aiohttp", "httpx")  # the values of TTHC_TRANSPORT


def bot_application(api: FakeBotAPI, services: Services, transport: str = "aiohttp") -> BotApplication:
    """The real Application, pointed at the fake Bot API server, talking through ``transport``."""
    settings = Settings(TELEGRAM_BOT_TOKEN=api.token, TTHC_TRANSPORT=transport)
    return build_application(settings, services=services, base_url=api.base_url)


@asynccontextmanager
async def polling(app: BotApplication) -> AsyncIterator[None]:
    """``app`` polling the fake server, started and stopped as ``run_polling`` does it."""
    async with app:
        if app.post_init is not None:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        await app.start()
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


def running_bot(
    api: FakeBotAPI, services: Services, transport: str = "aiohttp"
) -> AbstractAsyncContextManager[None]:
    """The bot polling the fake server through ``transport``."""
    return polling(bot_application(api, services, transport))


@asynccontextmanager
async def bot_process(
    api: FakeBotAPI, tmp_path: Path, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``tthc-bot run`` as ``make run`` starts it — a process, pointed at the fake server by the
    environment (``env`` adds to it) — over the test world in ``tmp_path``."""
    db_url = f"sqlite:///{tmp_path / 'tthc.sqlite3'}"
    if not (tmp_path / "tthc.sqlite3").exists():
        open_world(db_url, tmp_path / "index").close()
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api.port}",
        "TTHC_DATA_DIR": str(tmp_path),
        "DATABASE_URL": db_url,
        "WEBHOOK_URL": "",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=environment,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
