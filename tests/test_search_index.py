"""The search index's life: built from the database, stamped, swapped atomically, rebuilt when
missing, stale or corrupt, and read by many threads at once."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from index.building import CURRENT_FILE, analysis_stamp, build_index, build_index_apart, read_stamp
from index.service import SearchService
from index.vocabulary import Vocabulary, load_vocabulary
from knowledge.catalogue import apply_catalogue, current_version
from knowledge.everyday import Everyday, load_everyday
from tests.factories import catalogue, procedure_record

MARRIAGE = procedure_record(code="1.000894", name="Thủ tục đăng ký kết hôn")
DEATH = procedure_record(code="1.000656", name="Thủ tục đăng ký khai tử", result="Trích lục khai tử")


def load(sessions: sessionmaker[Session], *records: dict[str, object], version: str) -> None:
    with sessions.begin() as session:
        apply_catalogue(session, catalogue(*records, version=version), "test")


def builds(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir())


@pytest.fixture
def sessions(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    load(session_factory, MARRIAGE, version="v1")
    return session_factory


def test_a_build_is_stamped_with_the_catalogue_version(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    stamp = build_index(sessions, tmp_path)
    with sessions() as session:
        version = current_version(session)
        assert version is not None
        assert stamp.matches(
            version.version, version.checksum, analysis_stamp(load_vocabulary(), load_everyday())
        )
    assert read_stamp(tmp_path) == stamp
    assert stamp.count == 1
    assert builds(tmp_path) == [stamp.build]


def test_ensure_index_builds_when_missing_then_reuses(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    service = SearchService(sessions, tmp_path / "index")
    service.ensure_index()
    stamp = read_stamp(tmp_path / "index")
    assert stamp is not None
    again = SearchService(sessions, tmp_path / "index")
    again.ensure_index()  # a second process opens the same build
    assert read_stamp(tmp_path / "index") == stamp
    assert again.search("ket hon").hits[0].code == MARRIAGE["code"]


def test_other_abbreviations_make_the_index_stale(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """Indexed text spells the abbreviations out, so an index built with others must be rebuilt."""
    SearchService(sessions, tmp_path).ensure_index()
    first = read_stamp(tmp_path)
    other = Vocabulary(replace={}, expand={}, abbreviations={"đkkh": "đăng ký kết hôn"}, fillers=[])
    SearchService(sessions, tmp_path, other).ensure_index()
    second = read_stamp(tmp_path)
    assert first is not None and second is not None
    assert second.build != first.build
    assert second.analysis == analysis_stamp(other, load_everyday())


def test_other_everyday_names_make_the_index_stale(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """The everyday names are indexed: an index built with others must be rebuilt, and the new
    names find the procedure."""
    SearchService(sessions, tmp_path).ensure_index()
    first = read_stamp(tmp_path)
    names = Everyday.from_data({"procedures": [{"code": MARRIAGE["code"], "everyday": ["về chung một nhà"]}]})
    service = SearchService(sessions, tmp_path, everyday=names)
    service.ensure_index()
    second = read_stamp(tmp_path)
    assert first is not None and second is not None
    assert second.build != first.build
    assert service.search("về chung một nhà").hits[0].code == MARRIAGE["code"]


def test_a_stale_index_is_rebuilt_and_swapped(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    service = SearchService(sessions, tmp_path)
    service.ensure_index()
    first = read_stamp(tmp_path)
    assert not service.refresh_if_stale()

    load(sessions, MARRIAGE, DEATH, version="v2")
    assert service.refresh_if_stale()
    second = read_stamp(tmp_path)
    assert first is not None and second is not None
    assert second.version == "v2" and second.build != first.build
    assert service.search("khai tu").hits[0].code == DEATH["code"]

    load(sessions, DEATH, version="v3")
    assert service.refresh_if_stale()
    assert [hit.code for hit in service.search("ket hon").hits] != [MARRIAGE["code"]]
    third = read_stamp(tmp_path)
    assert third is not None
    assert builds(tmp_path) == sorted([second.build, third.build])  # the oldest build is gone


def test_a_corrupt_index_is_rebuilt(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    stamp = build_index(sessions, tmp_path)
    for path in (tmp_path / stamp.build).iterdir():
        path.write_bytes(b"garbage")
    service = SearchService(sessions, tmp_path)
    service.ensure_index()
    rebuilt = read_stamp(tmp_path)
    assert rebuilt is not None and rebuilt.build != stamp.build
    assert service.search("đăng ký kết hôn").hits[0].code == MARRIAGE["code"]


@pytest.mark.parametrize("content", ["not json", json.dumps({"build": "b-x"})])
def test_an_unreadable_stamp_means_a_rebuild(
    sessions: sessionmaker[Session], tmp_path: Path, content: str
) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / CURRENT_FILE).write_text(content, encoding="utf-8")
    assert read_stamp(tmp_path) is None
    service = SearchService(sessions, tmp_path)
    service.ensure_index()
    assert read_stamp(tmp_path) is not None


def test_search_opens_the_index_by_itself(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    service = SearchService(sessions, tmp_path)
    assert service.search("kết hôn").hits[0].code == MARRIAGE["code"]


def test_concurrent_readers_during_a_rebuild(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    service = SearchService(sessions, tmp_path)
    service.ensure_index()
    errors: list[BaseException] = []
    answers: list[str] = []

    def reader() -> None:
        try:
            for query in ("kết hôn", "ket hon", "đăng ký", "khai tử") * 10:
                result = service.search(query)
                answers.extend(hit.code for hit in result.hits)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    load(sessions, MARRIAGE, DEATH, version="v2")
    service.refresh_if_stale()
    for thread in threads:
        thread.join()
    assert errors == []
    assert MARRIAGE["code"] in answers


def test_a_build_apart_reads_the_same_database(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    stamp = build_index_apart(url, tmp_path)
    assert read_stamp(tmp_path) == stamp
    assert stamp.count == 1
    assert SearchService(sessions, tmp_path).search("kết hôn").hits[0].code == MARRIAGE["code"]


def test_a_failed_build_apart_keeps_the_index_in_use(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    stamp = build_index(sessions, tmp_path)
    with pytest.raises(Exception, match="no such table"):
        build_index_apart(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    assert read_stamp(tmp_path) == stamp
    assert builds(tmp_path) == [stamp.build]


def test_a_served_index_is_rebuilt_apart(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first build runs here; a rebuild beside live searches runs in a process of its own."""
    apart: list[str] = []

    def spy(url: str, index_dir: Path, vocabulary: Vocabulary | None = None, **options: Any) -> object:
        apart.append(url)
        return build_index_apart(url, index_dir, vocabulary, **options)

    monkeypatch.setattr("index.service.build_index_apart", spy)
    service = SearchService(sessions, tmp_path)
    service.ensure_index()
    assert apart == []
    load(sessions, MARRIAGE, DEATH, version="v2")
    assert service.refresh_if_stale()
    assert len(apart) == 1
    assert service.search("khai tử").hits[0].code == DEATH["code"]


def test_a_build_made_meanwhile_by_another_worker_is_reused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Workers sharing a data directory: the one that waited for the lock takes the fresh build."""
    first = build_index(sessions, tmp_path)
    assert build_index(sessions, tmp_path, reuse=True) == first
    load(sessions, MARRIAGE, DEATH, version="v2")
    second = build_index(sessions, tmp_path, reuse=True)  # stale: built anew
    assert second.build != first.build and second.count == 2
    assert build_index(sessions, tmp_path).build != second.build  # without reuse: always anew


def test_two_services_on_one_directory_build_once(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    SearchService(sessions, tmp_path).ensure_index()
    [build] = builds(tmp_path)
    load(sessions, MARRIAGE, DEATH, version="v2")
    first, second = SearchService(sessions, tmp_path), SearchService(sessions, tmp_path)
    first.ensure_index()
    second.ensure_index()
    [newer] = [name for name in builds(tmp_path) if name != build]  # one new build, not two
    stamp = read_stamp(tmp_path)
    assert stamp is not None and stamp.build == newer
