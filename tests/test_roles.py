"""Roles: admins from the settings, officials bound by one-time expiring invites, who sees what."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from knowledge.compliance.roles import (
    can_view,
    consume_invite,
    create_invite,
    grant,
    invite_link,
    officials,
    revoke,
)
from knowledge.models import Unit
from knowledge.settings import Settings
from tests.factories import unit

ADMIN = 111
OFFICIAL = 222
CITIZEN = 333
NOW = datetime(2026, 3, 2, 8, 0)


@pytest.fixture
def settings() -> Settings:
    return Settings(TTHC_ADMIN_IDS=str(ADMIN))


@pytest.fixture
def tree(session: Session) -> dict[str, Unit]:
    province = unit(session, "38", "province")
    district = unit(session, "402", "district", province)
    other = unit(session, "403", "district", province)
    return {
        "province": province,
        "district": district,
        "commune": unit(session, "16174", "commune", district),
        "other": other,
        "other_commune": unit(session, "16300", "commune", other),
    }


def test_admins_see_everything_and_citizens_nothing(
    session: Session, tree: dict[str, Unit], settings: Settings
) -> None:
    assert all(can_view(session, ADMIN, u, settings) for u in tree.values())
    assert not any(can_view(session, CITIZEN, u, settings) for u in tree.values())


def test_an_official_sees_his_unit_and_its_descendants_only(
    session: Session, tree: dict[str, Unit], settings: Settings
) -> None:
    grant(session, OFFICIAL, tree["district"], granted_by=ADMIN)
    visible = {name for name, u in tree.items() if can_view(session, OFFICIAL, u, settings)}
    assert visible == {"district", "commune"}


def test_grant_is_idempotent_and_revoke_removes(
    session: Session, tree: dict[str, Unit], settings: Settings
) -> None:
    grant(session, OFFICIAL, tree["commune"])
    grant(session, OFFICIAL, tree["commune"])
    grant(session, OFFICIAL, tree["other"])
    assert len(officials(session)) == 2
    assert [o.telegram_id for o in officials(session, tree["commune"])] == [OFFICIAL]
    assert revoke(session, OFFICIAL, tree["commune"]) == 1
    assert not can_view(session, OFFICIAL, tree["commune"], settings)
    assert can_view(session, OFFICIAL, tree["other_commune"], settings)
    assert revoke(session, OFFICIAL) == 1
    assert officials(session) == []


def test_invite_binds_the_user_once(session: Session, tree: dict[str, Unit], settings: Settings) -> None:
    invite = create_invite(session, tree["commune"], ADMIN, now=NOW, settings=settings)
    link = invite_link("@tthc_bot", invite)
    payload = link.split("?start=", 1)[1]
    assert link.startswith("https://t.me/tthc_bot?start=inv_")
    assert len(payload) <= 64 and payload.replace("_", "").replace("-", "").isalnum()
    official = consume_invite(session, payload, OFFICIAL, now=NOW + timedelta(hours=1))
    assert official is not None and official.unit_id == tree["commune"].id
    assert can_view(session, OFFICIAL, tree["commune"], settings)
    assert consume_invite(session, payload, CITIZEN, now=NOW + timedelta(hours=2)) is None
    assert not can_view(session, CITIZEN, tree["commune"], settings)


def test_expired_or_unknown_invites_give_nothing(
    session: Session, tree: dict[str, Unit], settings: Settings
) -> None:
    invite = create_invite(
        session, tree["commune"], ADMIN, ttl=timedelta(hours=1), now=NOW, settings=settings
    )
    assert consume_invite(session, invite.token, OFFICIAL, now=NOW + timedelta(hours=1, seconds=1)) is None
    assert consume_invite(session, "inv_not-a-token", OFFICIAL, now=NOW) is None
    assert officials(session) == []


def test_only_admins_create_invites(session: Session, tree: dict[str, Unit], settings: Settings) -> None:
    with pytest.raises(PermissionError):
        create_invite(session, tree["commune"], OFFICIAL, settings=settings)


def test_invite_tokens_are_stored_hashed(session: Session, tree: dict[str, Unit], settings: Settings) -> None:
    """Whoever reads the database (a backup, a copied SQLite file) finds no usable invite: only the
    SHA-256 of each token is kept (issue 13, item 10)."""
    invite = create_invite(session, tree["commune"], ADMIN, now=NOW, settings=settings)
    stored = session.execute(text("SELECT token_hash FROM official_invites")).scalars().all()
    assert stored == [hashlib.sha256(invite.token.encode()).hexdigest()]
    assert invite.token not in stored[0]
    assert consume_invite(session, stored[0], OFFICIAL, now=NOW) is None  # the stored value opens nothing
    assert consume_invite(session, invite.token, OFFICIAL, now=NOW) is not None
