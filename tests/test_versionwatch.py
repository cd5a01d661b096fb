"""Several bot processes (or hosts) on one database: each follows catalogue changes with its own
search index (knowledge/versionwatch.py: LISTEN/NOTIFY on PostgreSQL, a version check everywhere)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from index.service import SearchService
from knowledge.db import make_sessionmaker
from knowledge.reload import apply_reload, plan_reload
from knowledge.versionwatch import VersionWatcher, announce
from tests.factories import catalogue, procedure_record

BIRTH = procedure_record(code="1.000001", name="Đăng ký khai sinh", field="Hộ tịch")
MARRIAGE = procedure_record(code="1.000002", name="Đăng ký kết hôn", field="Hộ tịch")
FOREST = procedure_record(
    code="1.000003", name="Cấp giấy phép khai thác gỗ rừng trồng", field="Lâm nghiệp", result="Giấy phép"
)

# Other procedures, so that the search index has a realistic spread of words to rank against.
OTHERS = [
    procedure_record(code=f"2.{number:06d}", name=name, field="Khác")
    for number, name in enumerate(
        [
            "Cấp giấy phép xây dựng nhà ở riêng lẻ",
            "Đăng ký thường trú",
            "Cấp giấy chứng nhận quyền sử dụng đất",
            "Cấp lại thẻ căn cước",
            "Đăng ký thành lập hộ kinh doanh",
            "Chứng thực bản sao từ bản chính",
            "Cấp phiếu lý lịch tư pháp",
            "Đăng ký tạm trú",
            "Trợ cấp xã hội hằng tháng",
            "Công nhận hộ nghèo",
            "Cấp thẻ bảo hiểm y tế",
            "Hỗ trợ chi phí mai táng",
        ]
    )
]


def reload(sessions: sessionmaker[Session], *records: dict[str, Any], version: str) -> int:
    plan = plan_reload(sessions, catalogue(*records, *OTHERS, version=version), f"{version}.json")
    return apply_reload(sessions, plan, "cli:test").version.id


class Seen:
    """A callback that records the versions it was told about."""

    def __init__(self) -> None:
        self.versions: list[int | None] = []
        self.event = threading.Event()

    def __call__(self, version: int | None) -> None:
        self.versions.append(version)
        self.event.set()


@pytest.fixture
def watchers(engine: Engine) -> Iterator[list[VersionWatcher]]:
    started: list[VersionWatcher] = []
    yield started
    for watcher in started:
        watcher.stop()


def test_polling_watcher_sees_a_reload(
    engine: Engine, session_factory: sessionmaker[Session], watchers: list[VersionWatcher]
) -> None:
    first = reload(session_factory, BIRTH, version="v1")
    seen = Seen()
    watcher = VersionWatcher(engine, seen, poll_interval=0.05, listen=False)
    watcher.start()
    watchers.append(watcher)
    assert watcher.seen == first and not seen.event.wait(0.3)  # the baseline is not a change
    second = reload(session_factory, BIRTH, MARRIAGE, version="v2")
    assert seen.event.wait(10)
    assert seen.versions == [second]


def test_notification_wakes_the_process_at_once(
    engine: Engine, session_factory: sessionmaker[Session], watchers: list[VersionWatcher]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    reload(session_factory, BIRTH, version="v1")
    seen = Seen()
    watcher = VersionWatcher(engine, seen, poll_interval=3600)  # only a notification can wake it
    watcher.start()
    watchers.append(watcher)
    # the baseline check runs once LISTEN is in place; let it settle before the change
    assert not seen.event.wait(1.0)
    second = reload(session_factory, BIRTH, MARRIAGE, version="v2")
    assert seen.event.wait(10)
    assert seen.versions == [second]


def test_rolled_back_change_is_not_a_change(engine: Engine, session_factory: sessionmaker[Session]) -> None:
    first = reload(session_factory, BIRTH, version="v1")
    seen = Seen()
    watcher = VersionWatcher(engine, seen)
    watcher.seen = first
    with pytest.raises(RuntimeError), session_factory.begin() as session:
        announce(session, first + 1)
        raise RuntimeError("the reload failed")
    assert not watcher.check() and seen.versions == []


def test_failed_callback_is_retried(engine: Engine, session_factory: sessionmaker[Session]) -> None:
    reload(session_factory, BIRTH, version="v1")
    calls: list[int | None] = []

    def flaky(version: int | None) -> None:
        calls.append(version)
        if len(calls) == 1:
            raise OSError("disk full while rebuilding the index")

    watcher = VersionWatcher(engine, flaky)
    watcher.seen = None
    assert not watcher.check()  # failed: logged, and the version is not taken as seen
    assert watcher.check()
    assert not watcher.check()
    assert len(calls) == 2 and calls[0] == calls[1] == watcher.seen


def test_two_processes_one_database(
    engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path, watchers: list[VersionWatcher]
) -> None:
    """A reload through process A; process B, told by its watcher, answers from the new catalogue."""
    reload(session_factory, BIRTH, MARRIAGE, version="v1")
    process_a = SearchService(make_sessionmaker(engine), tmp_path / "index-a")
    process_b = SearchService(make_sessionmaker(engine), tmp_path / "index-b")
    for process in (process_a, process_b):
        process.ensure_index()
        assert [hit.code for hit in process.search("1.000003").hits] == []

    refreshed = threading.Event()

    def follow(_version: int | None) -> None:
        process_b.refresh_if_stale()
        refreshed.set()

    watcher = VersionWatcher(engine, follow, poll_interval=0.1)
    watcher.start()
    watchers.append(watcher)

    reload(process_a.sessions, BIRTH, MARRIAGE, FOREST, version="v2")
    assert process_a.refresh_if_stale()
    assert refreshed.wait(20)
    assert [hit.code for hit in process_b.search("1.000003").hits] == ["1.000003"]


def test_reload_during_a_stream_of_queries(
    engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """Citizens keep getting answers while the catalogue and the index change under them."""
    reload(session_factory, BIRTH, MARRIAGE, version="v1")
    service = SearchService(session_factory, tmp_path / "index")
    service.ensure_index()
    stop = threading.Event()
    failures: list[BaseException] = []
    answered: list[int] = []

    def citizen() -> None:
        while not stop.is_set():
            try:
                service.search("đăng ký khai sinh ở đâu")  # the full text path must not fail either
                result = service.search("1.000001")  # by code: the answer does not depend on ranking
                assert [hit.code for hit in result.hits] == ["1.000001"]
                answered.append(1)
                # A stream, not a spin: a thread that never pauses would keep the GIL from the
                # reloading thread, each of whose database calls then waits a switch interval for it.
                stop.wait(0.002)
            except BaseException as exc:  # collected: a thread's exception is otherwise lost
                failures.append(exc)
                return

    citizens = [threading.Thread(target=citizen) for _ in range(2)]
    for thread in citizens:
        thread.start()
    try:
        for step in range(4):
            records = (BIRTH, MARRIAGE, FOREST) if step % 2 == 0 else (BIRTH, MARRIAGE)
            reload(session_factory, *records, version=f"v{step + 2}")
            assert service.refresh_if_stale()
    finally:
        stop.set()
        for thread in citizens:
            thread.join(30)
    assert failures == []
    assert len(answered) > 0
