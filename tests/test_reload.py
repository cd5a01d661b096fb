from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from knowledge.audit import AuditEntry
from knowledge.catalogue import (
    CatalogueError,
    apply_catalogue,
    current_version,
    get_procedure,
    parse_catalogue,
    serialize_catalogue,
)
from knowledge.models import CatalogueVersion, Procedure
from knowledge.reload import (
    PendingReload,
    ReloadError,
    StaleReloadError,
    apply_reload,
    confirm_reload,
    diff_catalogue,
    discard_reload,
    export_catalogue,
    plan_reload,
    previous_version,
    rollback,
    stage_reload,
)
from knowledge.settings import get_settings
from tests.factories import catalogue, procedure_record

Run = Callable[..., tuple[int, str, str]]


def write_catalogue(path: Path, *records: dict[str, Any], version: str = "v") -> Path:
    path.write_text(json.dumps({"version": version, "procedures": list(records)}, ensure_ascii=False))
    return path


def codes(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return sorted(session.scalars(select(Procedure.code)))


def load(sessions: sessionmaker[Session], *records: dict[str, Any], version: str) -> int:
    plan = plan_reload(sessions, catalogue(*records, version=version), f"{version}.json")
    return apply_reload(sessions, plan, "cli:test").version.id


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """`tthc-bot ...` against the test database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    get_settings.cache_clear()


def test_diff_sorts_changes_into_groups(session_factory: sessionmaker[Session]) -> None:
    load(
        session_factory,
        procedure_record(code="1.000001"),
        procedure_record(code="1.000002"),
        procedure_record(code="1.000003"),
        procedure_record(code="1.000004", name="Thủ tục sẽ bị loại"),
        version="v1",
    )
    new = catalogue(
        procedure_record(code="1.000001"),
        procedure_record(code="1.000002", result="Giấy chứng nhận", levels=["xa", "tinh"]),
        procedure_record(code="1.000003", status="abolished", abolished_by="QĐ 1/2025"),
        procedure_record(code="1.000005", name="Thủ tục mới"),
    )
    with session_factory() as session:
        diff = diff_catalogue(session, new)
    assert [c.code for c in diff.added] == ["1.000005"]
    assert [(c.code, c.fields) for c in diff.changed] == [("1.000002", ("levels", "result"))]
    assert [c.code for c in diff.abolished] == ["1.000003"]
    assert [(c.code, c.name) for c in diff.removed] == [("1.000004", "Thủ tục sẽ bị loại")]
    assert diff.unchanged == 1
    assert diff.counts() == {"added": 1, "changed": 1, "abolished": 1, "removed": 1, "unchanged": 1}


def test_reload_applies_with_audit_entry(session_factory: sessionmaker[Session]) -> None:
    first = load(session_factory, procedure_record(code="1.000001"), version="v1")
    plan = plan_reload(
        session_factory,
        catalogue(procedure_record(code="1.000001", name="Tên mới"), procedure_record(code="1.000002")),
        "/srv/catalogue-v2.json",
    )
    result = apply_reload(session_factory, plan, "telegram:42")
    assert codes(session_factory) == ["1.000001", "1.000002"]
    with session_factory() as session:
        current = current_version(session)
        assert current is not None and current.id == result.version.id
        assert current.loaded_by == "telegram:42"
        renamed = get_procedure(session, "1.000001")
        assert renamed is not None and renamed.name == "Tên mới"
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.actor, entry.action, entry.source) == (
            "telegram:42",
            "reload",
            "/srv/catalogue-v2.json",
        )
        assert entry.detail["from_version"] == first
        assert entry.detail["diff"]["added"] == ["1.000002"]
        assert entry.detail["diff"]["changed"] == {"1.000001": ["name"]}


def test_stale_plan_is_refused(session_factory: sessionmaker[Session]) -> None:
    load(session_factory, procedure_record(code="1.000001"), version="v1")
    stale = plan_reload(session_factory, catalogue(procedure_record(code="1.000007")), "late.json")
    load(session_factory, procedure_record(code="1.000002"), version="v2")
    with pytest.raises(StaleReloadError):
        apply_reload(session_factory, stale, "cli:test")
    assert codes(session_factory) == ["1.000002"]


def test_rollback_walks_back_through_history(session_factory: sessionmaker[Session]) -> None:
    v1 = load(session_factory, procedure_record(code="1.000001"), version="v1")
    load(session_factory, procedure_record(code="1.000002"), version="v2")
    load(session_factory, procedure_record(code="1.000003"), version="v3")

    back = rollback(session_factory, "cli:test")
    assert codes(session_factory) == ["1.000002"]
    assert back.diff.counts()["added"] == 1 and back.diff.counts()["removed"] == 1
    rollback(session_factory, "cli:test")
    assert codes(session_factory) == ["1.000001"]
    with pytest.raises(ReloadError, match="không có phiên bản nào trước"):
        rollback(session_factory, "cli:test")
    assert codes(session_factory) == ["1.000001"]

    # a reload after a rollback: rolling back returns to what was current before that reload
    with session_factory() as session:
        before_v4 = current_version(session)
    load(session_factory, procedure_record(code="1.000004"), version="v4")
    rollback(session_factory, "cli:test")
    assert codes(session_factory) == ["1.000001"]
    with session_factory() as session:
        current_rows = select(func.count(CatalogueVersion.id)).where(CatalogueVersion.is_current.is_(True))
        assert session.scalar(current_rows) == 1
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions == ["reload"] * 3 + ["rollback"] * 2 + ["reload", "rollback"]
        restored = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert before_v4 is not None and before_v4.id > v1
        assert restored is not None and restored.detail["restores"] == before_v4.id


def test_previous_of_unaudited_load_is_load_order(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:  # e.g. the bundled data, loaded without an audit entry
        first = apply_catalogue(session, catalogue(procedure_record(code="1.000001")), "bundled")
    with session_factory.begin() as session:
        second = apply_catalogue(session, catalogue(procedure_record(code="1.000002")), "importer")
    with session_factory() as session:
        latest = session.get(CatalogueVersion, second.id)
        assert latest is not None
        previous = previous_version(session, latest)
        assert previous is not None and previous.id == first.id


def test_export_reloads_to_no_change(session_factory: sessionmaker[Session]) -> None:
    load(
        session_factory,
        procedure_record(code="1.000001", source_date="2025-07-01", keywords=["khai sinh"]),
        procedure_record(code="1.000002", status="abolished"),
        version="v1",
    )
    with session_factory() as session:
        exported = export_catalogue(session)
    reparsed = parse_catalogue(serialize_catalogue(exported), "export.json")
    assert reparsed.version == "v1"
    with session_factory() as session:
        diff = diff_catalogue(session, reparsed)
    assert not diff.has_changes and diff.unchanged == 2


def test_cli_reload_shows_diff_and_applies_only_with_yes(cli: Run, tmp_path: Path) -> None:
    first = write_catalogue(tmp_path / "v1.json", procedure_record(code="1.000001"), version="v1")
    assert cli("reload", str(first), "--yes")[0] == 0
    second = write_catalogue(
        tmp_path / "v2.json",
        procedure_record(code="1.000001", name="Đăng ký khai sinh (sửa)"),
        procedure_record(code="1.000002", name="Cấp bản sao trích lục"),
        version="v2",
    )
    code, out, _ = cli("reload", str(second))
    assert code == 0
    assert "thêm mới: 1" in out and "thay đổi: 1" in out
    assert "+ 1.000002 Cấp bản sao trích lục" in out and "~ 1.000001" in out
    assert "Chưa áp dụng" in out
    code, out, _ = cli("export-catalogue", "-")
    assert [p["code"] for p in json.loads(out)["procedures"]] == ["1.000001"]

    code, out, _ = cli("reload", str(second), "--yes")
    assert code == 0 and "Đã áp dụng" in out
    code, out, _ = cli("reload", str(second), "--yes")
    assert code == 0 and "Không có thay đổi" in out


def test_cli_broken_file_changes_nothing(cli: Run, tmp_path: Path) -> None:
    good = write_catalogue(tmp_path / "good.json", procedure_record(code="1.000001"), version="v1")
    assert cli("reload", str(good), "--yes")[0] == 0
    bad = write_catalogue(
        tmp_path / "bad.json",
        procedure_record(code="1.000009"),
        procedure_record(code="không-phải-mã"),
        procedure_record(code="1.000010", name=""),
    )
    code, out, err = cli("reload", str(bad), "--yes")
    assert code != 0 and out == ""
    assert "bản ghi #2 (không-phải-mã): code: mã thủ tục không hợp lệ" in err
    assert "bản ghi #3 (1.000010)" in err and "thiếu tên" in err
    code, out, _ = cli("export-catalogue", "-")
    assert [p["code"] for p in json.loads(out)["procedures"]] == ["1.000001"]
    assert cli("reload", str(tmp_path / "missing.json"))[0] != 0


def test_cli_export_edit_reload_rollback(cli: Run, tmp_path: Path) -> None:
    original = write_catalogue(
        tmp_path / "v1.json", procedure_record(code="1.000001"), procedure_record(code="1.000002")
    )
    assert cli("reload", str(original), "--yes")[0] == 0
    exported = tmp_path / "export.json.gz"
    code, out, _ = cli("export-catalogue", str(exported))
    assert code == 0 and "2 thủ tục" in out
    document = json.loads(gzip.decompress(exported.read_bytes()))
    document["procedures"][1]["status"] = "abolished"
    document["procedures"][1]["abolished_by"] = "Quyết định 99/QĐ-BTP"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document, ensure_ascii=False))

    code, out, _ = cli("reload", str(edited), "--yes")
    assert code == 0 and "bãi bỏ: 1" in out and "! 1.000002" in out
    code, out, _ = cli("rollback")
    assert code == 0 and "Đã quay về" in out
    code, out, _ = cli("export-catalogue", "-")
    assert {p["status"] for p in json.loads(out)["procedures"]} == {"in_force"}


def test_cli_rollback_without_history_fails(cli: Run) -> None:
    code, _, err = cli("rollback")
    assert code != 0 and "chưa có danh mục" in err


def raw_catalogue(*records: dict[str, Any], version: str) -> bytes:
    return json.dumps({"version": version, "procedures": list(records)}).encode()


def test_staged_file_is_applied_on_confirmation(session_factory: sessionmaker[Session]) -> None:
    load(session_factory, procedure_record(code="1.000001"), version="v1")
    raw = raw_catalogue(procedure_record(code="1.000001"), procedure_record(code="1.000002"), version="v2")
    pending_id, plan = stage_reload(session_factory, raw, "tg:catalogue.json", "telegram:42")
    assert [c.code for c in plan.diff.added] == ["1.000002"]
    assert codes(session_factory) == ["1.000001"]  # nothing changes before the confirmation
    result = confirm_reload(session_factory, pending_id, "telegram:42")
    assert codes(session_factory) == ["1.000001", "1.000002"]
    assert result.audit.source == "tg:catalogue.json" and result.version.version == "v2"
    with pytest.raises(ReloadError, match="không còn tệp"):
        confirm_reload(session_factory, pending_id, "telegram:42")


def test_staged_file_goes_stale_or_is_discarded(session_factory: sessionmaker[Session]) -> None:
    load(session_factory, procedure_record(code="1.000001"), version="v1")
    first, _ = stage_reload(
        session_factory, raw_catalogue(procedure_record(code="1.000005"), version="a"), "a.json", "telegram:1"
    )
    second, _ = stage_reload(
        session_factory, raw_catalogue(procedure_record(code="1.000006"), version="b"), "b.json", "telegram:2"
    )
    confirm_reload(session_factory, second, "telegram:2")
    with pytest.raises(StaleReloadError):
        confirm_reload(session_factory, first, "telegram:1")
    assert discard_reload(session_factory, first) and not discard_reload(session_factory, first)
    assert codes(session_factory) == ["1.000006"]


def test_bad_file_is_not_staged(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(CatalogueError, match="không hợp lệ"):
        stage_reload(session_factory, raw_catalogue(procedure_record(code="x"), version="v"), "x.json", "t")
    with session_factory() as session:
        assert session.scalar(select(func.count(PendingReload.id))) == 0


def test_overlapping_confirmations_apply_only_one(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two admins confirm at the same moment two files staged against the same version: the first
    is applied, the second is refused as stale — on SQLite as on PostgreSQL (issue 13, item 4)."""
    import threading

    from knowledge import reload as reload_module

    load(session_factory, procedure_record(code="1.000001"), version="v1")
    staged = [
        stage_reload(session_factory, raw_catalogue(procedure_record(code=code), version=code), code, actor)[
            0
        ]
        for code, actor in (("1.000005", "telegram:1"), ("1.000006", "telegram:2"))
    ]
    both_read = threading.Barrier(2, timeout=2)
    real_current_version = reload_module.current_version

    def current_version_then_wait(session: Session) -> CatalogueVersion | None:
        version = real_current_version(session)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other one reads it too, if it can
            both_read.wait()
        return version

    monkeypatch.setattr(reload_module, "current_version", current_version_then_wait)
    outcomes: list[str] = []

    def confirm(pending_id: int) -> None:
        try:
            confirm_reload(session_factory, pending_id, f"telegram:{pending_id}")
            outcomes.append("applied")
        except StaleReloadError:
            outcomes.append("stale")

    threads = [threading.Thread(target=confirm, args=(pending_id,)) for pending_id in staged]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["applied", "stale"]
    with session_factory() as session:
        reloads = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "reload").order_by(AuditEntry.id)
        ).all()
        first_id = session.scalars(select(CatalogueVersion.id).order_by(CatalogueVersion.id)).first()
        # the test's first load, then one of the two confirmations
        assert [entry.detail["from_version"] for entry in reloads] == [None, first_id]
        assert session.scalar(select(func.count(CatalogueVersion.id))) == 2


@pytest.mark.parametrize(
    "content",
    [
        gzip.compress(b'{"procedures": []}' * 100)[:-30],
        b"[" * 200_000 + b"]" * 200_000,
        b'{"procedures": [{"code": "1.000001", "name": "A",'
        b' "channels": [{"channel": "truc_tiep", "days": NaN}]}]}',
    ],
    ids=["truncated gzip", "deep nesting", "NaN"],
)
def test_cli_a_broken_file_is_refused_not_crashed(cli: Run, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.json.gz"
    path.write_bytes(content)
    code, out, err = cli("reload", str(path), "--yes")
    assert code == 1 and out == ""
    assert err.startswith("Tệp bị từ chối, không thay đổi gì.") and "Traceback" not in err
    assert cli("reload", "/dev/zero")[0] == 1
