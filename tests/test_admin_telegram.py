"""Admin commands end to end: the real Application over HTTP against the fake Bot API server."""

from __future__ import annotations

import asyncio
import gzip
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import texts
from bot.dialogue import Dialogue
from bot.handlers.services import Services
from index.service import SearchService
from knowledge.audit import AuditEntry
from knowledge.catalogue import current_version, parse_catalogue
from knowledge.compliance import roles
from knowledge.db import make_engine, make_sessionmaker
from knowledge.models import Era, Procedure, Unit
from knowledge.reload import PendingReload
from knowledge.store import Store
from knowledge.usage import log_query
from knowledge.versionwatch import VersionWatcher
from tests.botworld import citizen_records, open_world, running_bot
from tests.factories import procedure_record
from tests.fakebotapi import FakeBotAPI

ADMIN = FakeBotAPI.user(7, "Quản trị")
CITIZEN = FakeBotAPI.user(1001, "Lan")
NEW_CODE = "1.009999"


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = open_world(db_url, tmp_path / "index", admins=(ADMIN["id"],))
    yield services
    services.close()


def catalogue_bytes(*extra: dict[str, Any], version: str = "v2") -> bytes:
    records = [*citizen_records(), *extra]
    return json.dumps({"version": version, "procedures": records}, ensure_ascii=False).encode()


def state(world: Services) -> tuple[int | None, int, int]:
    """The current version, the number of procedures and of staged files."""
    with world.store.sessions() as session:
        version = current_version(session)
        procedures = session.scalar(select(func.count(Procedure.id))) or 0
        staged = session.scalar(select(func.count(PendingReload.id))) or 0
        return (version.id if version else None, procedures, staged)


async def test_reload_a_document_after_confirmation(api: FakeBotAPI, world: Services) -> None:
    before = state(world)
    new = procedure_record(code=NEW_CODE, name="Cấp giấy phép khai thác gỗ rừng trồng", field="Lâm nghiệp")
    [diff] = await api.expect(
        ADMIN, lambda: api.send_document(ADMIN, "danh-muc.json", catalogue_bytes(new), caption="/reload")
    )
    assert "thêm mới 1" in diff.text and f"{NEW_CODE} Cấp giấy phép khai thác gỗ" in diff.text
    assert diff.button_labels() == [texts.ADMIN_BUTTON_APPLY, texts.ADMIN_BUTTON_CANCEL]
    assert state(world) == (*before[:2], 1)  # staged, not applied

    [done] = await api.tap(ADMIN, diff, texts.ADMIN_BUTTON_APPLY)
    assert "Đã áp dụng" in done.text
    version, procedures, staged = state(world)
    assert version != before[0] and procedures == before[1] + 1 and staged == 0
    assert [hit.code for hit in world.search.search(NEW_CODE).hits] == [NEW_CODE]  # the index followed
    with world.store.sessions() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and (entry.actor, entry.action) == ("telegram:7", "reload")
        assert entry.source == "telegram:danh-muc.json" and entry.detail["diff"]["added"] == [NEW_CODE]


async def test_broken_document_changes_nothing(api: FakeBotAPI, world: Services) -> None:
    before = state(world)
    broken = catalogue_bytes(procedure_record(code="1.2.3", name="Mã sai"))
    [refusal] = await api.expect(ADMIN, lambda: api.send_document(ADMIN, "x.json", broken, caption="/reload"))
    assert texts.ADMIN_FILE_REJECTED in refusal.text and "mã thủ tục không hợp lệ" in refusal.text
    assert refusal.buttons == [] and state(world) == before


async def test_server_path_then_cancel(api: FakeBotAPI, world: Services, tmp_path: Path) -> None:
    before = state(world)
    path = tmp_path / "catalogue.json"
    path.write_bytes(catalogue_bytes(procedure_record(code=NEW_CODE, name="Thủ tục mới")))
    [diff] = await api.say(ADMIN, f"/reload {path}")
    assert "thêm mới 1" in diff.text
    [cancelled] = await api.tap(ADMIN, diff, texts.ADMIN_BUTTON_CANCEL)
    assert cancelled.text == texts.ADMIN_CANCELLED and state(world) == before
    [missing] = await api.say(ADMIN, f"/reload {tmp_path / 'none.json'}")
    assert texts.ADMIN_FILE_REJECTED in missing.text


async def test_rollback_returns_to_the_previous_catalogue(api: FakeBotAPI, world: Services) -> None:
    before = state(world)
    extra = procedure_record(code=NEW_CODE, name="Thủ tục mới")
    [diff] = await api.expect(
        ADMIN, lambda: api.send_document(ADMIN, "v2.json", catalogue_bytes(extra), caption="/reload")
    )
    await api.tap(ADMIN, diff, texts.ADMIN_BUTTON_APPLY)
    [back] = await api.say(ADMIN, "/rollback")
    assert f"Đã quay về phiên bản #{before[0]}" in back.text and "loại khỏi danh mục 1" in back.text
    assert state(world)[1] == before[1]
    assert world.search.search(NEW_CODE).hits == []


async def test_stats(api: FakeBotAPI, world: Services) -> None:
    with world.store.sessions.begin() as session:
        for query, answered in [("làm sổ đỏ", False), ("Làm sổ đỏ", False), ("khai sinh", True)]:
            log_query(session, query, answered=answered, result_count=int(answered))
    [stats] = await api.say(ADMIN, "/stats")
    assert "<b>3</b> câu hỏi" in stats.text and "<b>67%</b>" in stats.text
    assert "2 × «làm sổ đỏ»" in stats.text


async def test_grant_revoke_officials(api: FakeBotAPI, world: Services) -> None:
    with world.store.sessions() as session:
        unit = session.scalars(select(Unit).where(Unit.era == Era.TWO_TIER).order_by(Unit.code)).first()
        assert unit is not None
    [granted] = await api.say(ADMIN, f"/grant 555 {unit.code}")
    assert "555" in granted.text and unit.name in granted.text
    [listing] = await api.say(ADMIN, "/officials")
    assert f"555 — {unit.name}" in listing.text
    [revoked] = await api.say(ADMIN, "/revoke 555")
    assert "Đã thu hồi 1" in revoked.text
    [empty] = await api.say(ADMIN, "/officials")
    assert empty.text == texts.ADMIN_OFFICIALS_NONE
    [unknown] = await api.say(ADMIN, "/grant 555 99999999")
    assert "99999999" in unknown.text
    with world.store.sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["grant", "revoke"]


async def test_invite_link_makes_its_opener_an_official_once(api: FakeBotAPI, world: Services) -> None:
    with world.store.sessions() as session:
        unit = session.scalars(select(Unit).where(Unit.era == Era.TWO_TIER).order_by(Unit.code)).first()
        assert unit is not None
    [usage] = await api.say(ADMIN, f"/invite {unit.code} forever")
    assert usage.text.startswith("Cách dùng: /invite")
    [made] = await api.say(ADMIN, f"/invite {unit.code} 24")
    [link] = re.findall(r"https://t\.me/\S+\?start=(inv_[\w-]+)", made.text)
    assert unit.name in made.text and "một lần" in made.text
    [welcome] = await api.say(CITIZEN, f"/start {link}")
    assert unit.name in welcome.text
    with world.store.sessions() as session:
        assert roles.official_units(session, CITIZEN["id"])[0].id == unit.id
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[0] == "invite"
    [again] = await api.say(FakeBotAPI.user(1002, "Bình"), f"/start {link}")
    assert unit.name not in again.text  # used once: the second opener is told nothing


@pytest.mark.parametrize(
    "command",
    [
        "/reload",
        "/reload /etc/hostname",
        "/rollback",
        "/stats",
        "/grant 1001 00001",
        "/revoke 1001",
        "/officials",
        "/invite 16225",
    ],
)
async def test_non_admin_is_refused_and_told_nothing(api: FakeBotAPI, world: Services, command: str) -> None:
    before = state(world)
    [unknown] = await api.say(CITIZEN, "/khongcolenhnay")
    [refusal] = await api.say(CITIZEN, command)
    assert refusal.text == unknown.text == texts.UNKNOWN_COMMAND
    assert state(world) == before


async def test_non_admin_document_and_button_are_refused(api: FakeBotAPI, world: Services) -> None:
    before = state(world)
    [refusal] = await api.expect(
        CITIZEN, lambda: api.send_document(CITIZEN, "x.json", catalogue_bytes(), caption="/reload")
    )
    assert refusal.text == texts.UNKNOWN_COMMAND
    [diff] = await api.expect(
        ADMIN,
        lambda: api.send_document(
            ADMIN, "x.json", catalogue_bytes(procedure_record(code=NEW_CODE)), caption="/reload"
        ),
    )
    # a citizen replaying the admin's button data gets nothing and changes nothing
    answered, told = len(api.calls_to("answerCallbackQuery")), len(api.sent_to(CITIZEN))
    api.press_data(CITIZEN, diff, diff.buttons[0][0]["callback_data"])
    await api.wait_for_calls("answerCallbackQuery", answered + 1)
    assert state(world) == (*before[:2], 1) and len(api.sent_to(CITIZEN)) == told


async def test_two_processes_one_database(world: Services, tmp_path: Path) -> None:
    """A reload through process A's bot; process B's bot, on the same database, answers from it."""
    engine = make_engine(world.store.settings.db_url)
    sessions = make_sessionmaker(engine)
    search = SearchService(sessions, tmp_path / "index-b")
    search.ensure_index()
    watcher = VersionWatcher(engine, lambda _version: search.refresh_if_stale(), poll_interval=0.2)
    watcher.start()
    process_b = Services(
        Store(world.store.settings, engine, sessions), search, Dialogue(sessions, search), watcher
    )
    upload = catalogue_bytes(procedure_record(code=NEW_CODE, name="Cấp giấy phép khai thác gỗ rừng trồng"))
    try:
        async with (
            FakeBotAPI() as api_a,
            FakeBotAPI() as api_b,
            running_bot(api_a, world),
            running_bot(api_b, process_b),
        ):
            [before] = await api_b.say(CITIZEN, NEW_CODE)
            assert "khai thác gỗ" not in before.text
            [diff] = await api_a.expect(
                ADMIN, lambda: api_a.send_document(ADMIN, "v2.json", upload, caption="/reload")
            )
            await api_a.tap(ADMIN, diff, texts.ADMIN_BUTTON_APPLY)
            for _ in range(50):  # process B follows within its watcher's poll interval
                if search.search(NEW_CODE).hits:
                    break
                await asyncio.sleep(0.1)
            [after] = await api_b.say(CITIZEN, NEW_CODE)
            assert "Cấp giấy phép khai thác gỗ rừng trồng" in after.text
    finally:
        process_b.close()


async def test_grant_publishes_the_officials_menu_and_revoke_withdraws_it(
    api: FakeBotAPI, world: Services
) -> None:
    with world.store.sessions() as session:
        first, second = session.scalars(
            select(Unit).where(Unit.era == Era.TWO_TIER).order_by(Unit.code).limit(2)
        ).all()
    scope = {"type": "chat", "chat_id": 555}  # the user's private chat
    await api.say(ADMIN, f"/grant 555 {first.code}")
    await api.say(ADMIN, f"/grant 555 {second.code}")
    published = [call for call in api.calls_to("setMyCommands") if call.params.get("scope")]
    assert [call.params["scope"] for call in published] == [scope, scope]
    assert [command["command"] for command in published[0].params["commands"]] == [
        name for name, _ in (*texts.CITIZEN_COMMANDS, *texts.OFFICIAL_COMMANDS)
    ]
    await api.say(ADMIN, f"/revoke 555 {first.code}")
    assert api.calls_to("deleteMyCommands") == []  # still an official of the other unit
    await api.say(ADMIN, "/revoke 555")
    [withdrawn] = api.calls_to("deleteMyCommands")
    assert withdrawn.params["scope"] == scope
    await api.say(ADMIN, "/revoke 555")  # nothing left to remove: nothing to withdraw
    assert len(api.calls_to("deleteMyCommands")) == 1


# --- bad files and bad arguments are refused, never answered with the apology (issue 13) --------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cut.json.gz", gzip.compress(catalogue_bytes())[:-40]),
        ("deep.json", b"[" * 200_000 + b"]" * 200_000),
        ("nan.json", catalogue_bytes(procedure_record(code=NEW_CODE)).replace(b'"days": 1', b'"days": NaN')),
    ],
)
async def test_a_broken_document_is_refused_with_the_reason(
    api: FakeBotAPI, world: Services, name: str, content: bytes
) -> None:
    before = state(world)
    [refusal] = await api.expect(ADMIN, lambda: api.send_document(ADMIN, name, content, caption="/reload"))
    assert refusal.text.startswith(f"<b>{texts.ADMIN_FILE_REJECTED}</b>") and refusal.buttons == []
    assert state(world) == before


async def test_a_server_path_that_is_no_catalogue_is_refused(api: FakeBotAPI, world: Services) -> None:
    before = state(world)
    [refusal] = await api.say(ADMIN, "/reload /dev/zero")
    assert texts.ADMIN_FILE_REJECTED in refusal.text and "/dev/zero" in refusal.text
    assert state(world) == before


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/stats ²", texts.ADMIN_STATS_HOW),
        ("/stats 999999999", texts.ADMIN_STATS_HOW),
        ("/stats 0", texts.ADMIN_STATS_HOW),
        ("/grant ² 16225", texts.ADMIN_GRANT_HOW),
        ("/grant 99999999999999999999999 16225", texts.ADMIN_GRANT_HOW),
        ("/revoke ²", texts.ADMIN_REVOKE_HOW),
    ],
)
async def test_bad_arguments_are_refused_politely(api: FakeBotAPI, command: str, usage: str) -> None:
    [reply] = await api.say(ADMIN, command)
    assert reply.text == html.escape(usage, quote=False)


async def test_export_sends_the_catalogue_gzipped(api: FakeBotAPI, world: Services) -> None:
    """The plain JSON of the whole catalogue (23.5 MB) is more than a bot may download (20 MB): the
    export an admin edits and sends back is a .json.gz (issue 13, item 10)."""
    await api.say(ADMIN, "/export")
    [sent] = await api.wait_for_calls("sendDocument", 1)
    upload = sent.files["document"]
    assert upload.filename is not None and upload.filename.endswith(".json.gz")
    exported = parse_catalogue(upload.content, upload.filename)
    assert {record.code for record in exported.procedures} == {r["code"] for r in citizen_records()}
    [refusal] = await api.say(CITIZEN, "/export")
    assert refusal.text == texts.UNKNOWN_COMMAND
