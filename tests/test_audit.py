from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.audit import (
    AuditAction,
    AuditEntry,
    cli_actor,
    recent_entries,
    telegram_actor,
    write_audit,
)


def test_entries_newest_first_and_filtered(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        write_audit(session, telegram_actor(7), AuditAction.GRANT, source="official:12")
        write_audit(session, cli_actor(), AuditAction.RELOAD, source="v2.json", detail={"diff": {"n": 1}})
        write_audit(session, telegram_actor(7), AuditAction.REVOKE, source="official:12")
    with session_factory() as session:
        newest = recent_entries(session, limit=2)
        assert [e.action for e in newest] == ["revoke", "reload"]
        reloads = recent_entries(session, actions=(AuditAction.RELOAD,))
        assert [(e.source, e.detail) for e in reloads] == [("v2.json", {"diff": {"n": 1}})]
        assert reloads[0].actor.startswith("cli:")
        assert newest[0].actor == "telegram:7" and newest[0].at is not None


def test_entry_is_lost_with_the_change_it_records(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), session_factory.begin() as session:
        write_audit(session, "cli:x", AuditAction.RELOAD, source="broken.json")
        raise RuntimeError("the change failed")
    with session_factory() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 0


def test_long_actor_fits_the_column(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        write_audit(session, "cli:" + "n" * 100, AuditAction.RELOAD)
    with session_factory() as session:
        (entry,) = recent_entries(session)
        assert entry.actor == ("cli:" + "n" * 100)[:64]
