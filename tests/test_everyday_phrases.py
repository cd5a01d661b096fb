"""Everyday names admins add to procedures (issue 12): kept in the database, refused when wrong or
already known, merged into the search index at its next refresh on every process, and managed from
Telegram (/themtu, /botu, the hint under /stats) and the command line (`tthc-bot everyday`)."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import texts
from bot.cli import main
from bot.handlers.services import Services
from index.building import read_stamp
from index.service import SearchService
from knowledge.catalogue import apply_catalogue
from knowledge.everyday import (
    MAX_PHRASE_LENGTH,
    Everyday,
    PhraseRefused,
    Refusal,
    add_phrase,
    added_phrases,
    remove_phrase,
)
from knowledge.settings import get_settings
from knowledge.usage import log_query
from knowledge.versionwatch import VersionWatcher, watched_state
from tests.botworld import BIRTH, open_world
from tests.factories import NO_EVERYDAY_NAMES, answering, catalogue, procedure_record, search_service
from tests.fakebotapi import FakeBotAPI

MARRIAGE = procedure_record(code="1.000894", name="Thủ tục đăng ký kết hôn", result="Giấy chứng nhận kết hôn")
DEATH = procedure_record(code="1.000656", name="Thủ tục đăng ký khai tử", result="Trích lục khai tử")
BUNDLED = Everyday.from_data({"procedures": [{"code": MARRIAGE["code"], "everyday": ["cưới vợ"]}]})
ADMIN = FakeBotAPI.user(7, "Quản trị")
CITIZEN = FakeBotAPI.user(1001, "Lan")


@pytest.fixture
def sessions(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_factory.begin() as session:
        apply_catalogue(session, catalogue(MARRIAGE, DEATH), "test")
    return session_factory


def refusal(sessions: sessionmaker[Session], code: str, phrase: str) -> Refusal:
    with pytest.raises(PhraseRefused) as refused, sessions.begin() as session:
        add_phrase(session, code, phrase, 7, BUNDLED)
    return refused.value.reason


def test_add_keeps_the_phrase_clean_and_who_added_it(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        row = add_phrase(session, f" {MARRIAGE['code']} ", "  rước   dâu\tvề nhà ", 7, BUNDLED)
        assert (row.procedure_code, row.phrase, row.added_by) == (MARRIAGE["code"], "rước dâu về nhà", 7)
        add_phrase(session, MARRIAGE["code"], "lấy chồng", None, BUNDLED)
    with sessions() as session:
        assert added_phrases(session) == {MARRIAGE["code"]: ("rước dâu về nhà", "lấy chồng")}


def test_wrong_or_known_phrases_are_refused(sessions: sessionmaker[Session]) -> None:
    code = MARRIAGE["code"]
    with sessions.begin() as session:
        add_phrase(session, code, "rước dâu về nhà", 7, BUNDLED)
    assert refusal(sessions, code, " \t ") is Refusal.EMPTY
    assert refusal(sessions, code, "…!") is Refusal.EMPTY
    assert refusal(sessions, code, "a" * (MAX_PHRASE_LENGTH + 1)) is Refusal.TOO_LONG
    assert refusal(sessions, "9.999999", "rước dâu về nhà") is Refusal.UNKNOWN_CODE
    assert refusal(sessions, code, "CƯỚI VỢ") is Refusal.KNOWN  # bundled, compared folded
    assert refusal(sessions, code, "ruoc dau ve nha") is Refusal.KNOWN  # added, typed without accents
    with sessions.begin() as session:  # the same words name another procedure
        add_phrase(session, DEATH["code"], "rước dâu về nhà", 7, BUNDLED)
    with sessions() as session:
        assert added_phrases(session) == {code: ("rước dâu về nhà",), DEATH["code"]: ("rước dâu về nhà",)}


def test_remove_takes_back_an_added_phrase_only(sessions: sessionmaker[Session]) -> None:
    code = MARRIAGE["code"]
    with sessions.begin() as session:
        add_phrase(session, code, "rước dâu về nhà", 7, BUNDLED)
        assert remove_phrase(session, code, "Rước dâu về nhà", BUNDLED) == "rước dâu về nhà"
    for phrase, reason in [("rước dâu về nhà", Refusal.MISSING), ("cưới vợ", Refusal.BUNDLED)]:
        with pytest.raises(PhraseRefused) as refused, sessions.begin() as session:
            remove_phrase(session, code, phrase, BUNDLED)
        assert refused.value.reason is reason
    with sessions() as session:
        assert added_phrases(session) == {}


def test_with_phrases_joins_the_names_and_changes_the_digest() -> None:
    assert BUNDLED.with_phrases({}) is BUNDLED
    joined = BUNDLED.with_phrases({MARRIAGE["code"]: ("lấy chồng", "cưới vợ"), DEATH["code"]: ("mất",)})
    assert joined.names == {MARRIAGE["code"]: ("cưới vợ", "lấy chồng"), DEATH["code"]: ("mất",)}
    assert joined.digest != BUNDLED.digest and joined.events == BUNDLED.events
    assert BUNDLED.names == {MARRIAGE["code"]: ("cưới vợ",)}  # the base is left as it was


def test_an_added_phrase_is_searched_after_the_next_refresh(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    service = search_service(session_factory, tmp_path / "index", MARRIAGE, DEATH)
    assert not service.refresh_if_stale()
    assert MARRIAGE["code"] not in [hit.code for hit in service.search("rước dâu về nhà").hits]
    with session_factory.begin() as session:
        add_phrase(session, MARRIAGE["code"], "rước dâu về nhà", 7, NO_EVERYDAY_NAMES)
    assert service.refresh_if_stale() and not service.refresh_if_stale()
    assert service.search("rước dâu về nhà").hits[0].code == MARRIAGE["code"]
    built = read_stamp(tmp_path / "index")
    other = SearchService(session_factory, tmp_path / "index", everyday=NO_EVERYDAY_NAMES, model=answering())
    other.ensure_index()  # another process on the same database opens the same build
    assert read_stamp(tmp_path / "index") == built
    assert other.search("ruoc dau ve nha").hits[0].code == MARRIAGE["code"]

    with session_factory.begin() as session:
        remove_phrase(session, MARRIAGE["code"], "rước dâu về nhà", NO_EVERYDAY_NAMES)
    assert service.refresh_if_stale()
    assert MARRIAGE["code"] not in [hit.code for hit in service.search("rước dâu về nhà").hits]


def test_the_version_watcher_notices_an_added_phrase(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """Workers follow the catalogue through their watcher; an added phrase must wake it too."""
    calls: list[int | None] = []
    watcher = VersionWatcher(engine, calls.append)
    watcher.seen, watcher.seen_phrases = watched_state(engine)
    assert not watcher.check()
    with sessions.begin() as session:
        add_phrase(session, MARRIAGE["code"], "rước dâu về nhà", 7, BUNDLED)
    assert watcher.check() and not watcher.check()
    with sessions.begin() as session:
        remove_phrase(session, MARRIAGE["code"], "rước dâu về nhà", BUNDLED)
    assert watcher.check()
    assert calls == [watcher.seen, watcher.seen]


# --- Telegram ----------------------------------------------------------------------------------


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index", admins=(ADMIN["id"],))
    yield services
    services.close()


def plain(text: str) -> str:
    return html.escape(text, quote=False)


async def test_an_admin_teaches_the_bot_a_phrase(api: FakeBotAPI, world: Services) -> None:
    [before] = await api.say(CITIZEN, "bé mới chào đời")
    assert "Đăng ký khai sinh" not in before.text

    [how] = await api.say(ADMIN, "/themtu")
    assert how.text == plain(texts.ADMIN_PHRASE_ADD_HOW)
    [added] = await api.say(ADMIN, f"/themtu {BIRTH} bé mới  chào đời")
    assert "«<b>bé mới chào đời</b>»" in added.text and f"{BIRTH} Đăng ký khai sinh" in added.text
    assert "lần cập nhật chỉ mục tới" in added.text
    [known] = await api.say(ADMIN, f"/themtu {BIRTH} be moi chao doi")
    refused = texts.ADMIN_PHRASE_REFUSED["known"].format(code=BIRTH, phrase="be moi chao doi")
    assert known.text == plain(refused)
    [unknown] = await api.say(ADMIN, "/themtu 9.999999 bé mới chào đời")
    assert unknown.text == plain(texts.ADMIN_PHRASE_REFUSED["unknown_code"].format(code="9.999999"))
    [stranger] = await api.say(CITIZEN, f"/themtu {BIRTH} sinh em bé")
    assert stranger.text == texts.UNKNOWN_COMMAND
    with world.store.sessions() as session:
        assert added_phrases(session) == {BIRTH: ("bé mới chào đời",)}

    await asyncio.to_thread(world.dialogue.follow_catalogue)  # what the process's version watcher calls
    [after] = await api.say(CITIZEN, "bé mới chào đời")
    assert "Đăng ký khai sinh" in after.text

    [removed] = await api.say(ADMIN, f"/botu {BIRTH} Bé mới chào đời")
    assert "Đã bỏ cách gọi «<b>bé mới chào đời</b>»" in removed.text
    [missing] = await api.say(ADMIN, f"/botu {BIRTH} bé mới chào đời")
    assert "không có cách gọi" in missing.text
    [remove_how] = await api.say(ADMIN, "/botu")
    assert remove_how.text == plain(texts.ADMIN_PHRASE_REMOVE_HOW)


async def test_stats_tells_how_to_add_a_phrase(api: FakeBotAPI, world: Services) -> None:
    [quiet] = await api.say(ADMIN, "/stats")
    assert plain(texts.ADMIN_STATS_PHRASE_HINT) not in quiet.text  # nothing unanswered, no hint
    with world.store.sessions.begin() as session:
        log_query(session, "bé mới chào đời", answered=False, result_count=0)
    [stats] = await api.say(ADMIN, "/stats")
    assert stats.text.endswith(plain(texts.ADMIN_STATS_PHRASE_HINT))


# --- Command line --------------------------------------------------------------------------------


def test_everyday_command(
    sessions: sessionmaker[Session],
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    code = MARRIAGE["code"]
    try:
        assert main(["everyday", "add", code, "rước", "dâu", "về", "nhà"]) == 0
        assert main(["everyday", "add", code, "ruoc dau ve nha"]) == 1
        assert main(["everyday", "add", "9.999999", "lấy chồng"]) == 1
        assert main(["everyday", "list"]) == 0
        listed = capsys.readouterr()
        assert main(["everyday", "remove", code, "rước dâu về nhà"]) == 0
        assert main(["everyday", "remove", code, "rước dâu về nhà"]) == 1
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    assert "Đã thêm cách gọi «rước dâu về nhà» cho thủ tục 1.000894 Thủ tục đăng ký kết hôn." in listed.out
    assert f"Thủ tục {code} đã có cách gọi «ruoc dau ve nha»." in listed.err
    assert "Không có thủ tục mã 9.999999 trong danh mục." in listed.err
    assert "Cách gọi có sẵn (knowledge/data/everyday.json):" in listed.out
    assert "Cách gọi quản trị viên đã thêm: 1." in listed.out
    assert f"{code}\trước dâu về nhà\tdòng lệnh\t" in listed.out
    assert "Đã bỏ cách gọi «rước dâu về nhà»" in out and "không có cách gọi" in err
    with sessions() as session:
        assert added_phrases(session) == {}
