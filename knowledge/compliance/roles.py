"""Who may see compliance figures: admins (``TTHC_ADMIN_IDS``) and officials bound to a unit.

An admin creates a one-time invite for a unit; its token travels in a Telegram deep link
(``https://t.me/<bot>?start=inv_<token>``). Consuming it binds the user to the unit as an official,
who then sees that unit and its descendants. An invite that is unknown, used or expired gives
nothing, and the caller is not told which (the bot's refusal reveals nothing). Only the token's
SHA-256 is stored: the token itself exists in the link and nowhere else. Every function works in the
caller's session and flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from knowledge.compliance.models import Invite, Official, utcnow_naive
from knowledge.models import Unit
from knowledge.settings import Settings, get_settings

INVITE_PREFIX = "inv_"
DEFAULT_INVITE_TTL = timedelta(hours=72)


def is_admin(telegram_id: int, settings: Settings | None = None) -> bool:
    return telegram_id in (settings or get_settings()).admin_ids


def grant(session: Session, telegram_id: int, unit: Unit, granted_by: int | None = None) -> Official:
    """Make the user an official of the unit (no change if he already is)."""
    existing = session.scalars(
        select(Official).where(Official.telegram_id == telegram_id, Official.unit_id == unit.id)
    ).first()
    if existing is not None:
        return existing
    official = Official(telegram_id=telegram_id, unit_id=unit.id, granted_by=granted_by, unit=unit)
    session.add(official)
    session.flush()
    return official


def revoke(session: Session, telegram_id: int, unit: Unit | None = None) -> int:
    """Remove the user's official role for the unit, or for every unit; returns how many were removed."""
    stmt = delete(Official).where(Official.telegram_id == telegram_id)
    if unit is not None:
        stmt = stmt.where(Official.unit_id == unit.id)
    removed = cast(CursorResult[Any], session.execute(stmt)).rowcount
    session.flush()
    return int(removed or 0)


def officials(session: Session, unit: Unit | None = None) -> list[Official]:
    """The officials of a unit (or all of them), by unit and user."""
    query = select(Official).order_by(Official.unit_id, Official.telegram_id)
    if unit is not None:
        query = query.where(Official.unit_id == unit.id)
    return list(session.scalars(query))


def official_units(session: Session, telegram_id: int) -> list[Unit]:
    """The units the user is an official of."""
    query = select(Unit).join(Official, Official.unit_id == Unit.id)
    return list(session.scalars(query.where(Official.telegram_id == telegram_id).order_by(Unit.code)))


def can_view(session: Session, telegram_id: int, unit: Unit, settings: Settings | None = None) -> bool:
    """Admins see every unit; an official sees his units and their descendants; nobody else sees any."""
    if is_admin(telegram_id, settings):
        return True
    own = {u.id for u in official_units(session, telegram_id)}
    if not own:
        return False
    current: int | None = unit.id
    while current is not None:
        if current in own:
            return True
        current = session.scalar(select(Unit.parent_id).where(Unit.id == current))
    return False


def token_hash(token: str) -> str:
    """What is stored of an invite's token (64 hexadecimal characters)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewInvite:
    """An invite just made, with its token: the only time the token is known (only its hash is kept)."""

    invite: Invite
    token: str

    @property
    def expires_at(self) -> datetime:
        return self.invite.expires_at


def create_invite(
    session: Session,
    unit: Unit,
    created_by: int,
    ttl: timedelta = DEFAULT_INVITE_TTL,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> NewInvite:
    """A fresh one-time invite to become the unit's official (the creator must be an admin)."""
    if not is_admin(created_by, settings):
        raise PermissionError("chỉ quản trị viên mới tạo được lời mời")
    now = now or utcnow_naive()
    token = secrets.token_urlsafe(24)
    invite = Invite(
        token_hash=token_hash(token),
        unit_id=unit.id,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
        unit=unit,
    )
    session.add(invite)
    session.flush()
    return NewInvite(invite, token)


def invite_link(bot_username: str, invite: NewInvite) -> str:
    """The deep link: Telegram passes ``inv_<token>`` to the bot's /start (64 characters at most)."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={INVITE_PREFIX}{invite.token}"


def consume_invite(
    session: Session, payload: str, telegram_id: int, now: datetime | None = None
) -> Official | None:
    """Use an invite (the /start payload, with or without its prefix) for the user; None when the
    invite is unknown, already used or expired."""
    hashed = token_hash(payload.removeprefix(INVITE_PREFIX))
    now = now or utcnow_naive()
    # A conditional update claims the invite atomically: two users racing for it cannot both win.
    claim = (
        update(Invite)
        .where(Invite.token_hash == hashed, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now, used_by=telegram_id)
    )
    claimed = cast(CursorResult[Any], session.execute(claim)).rowcount
    if not claimed:
        return None
    invite = session.scalars(select(Invite).where(Invite.token_hash == hashed)).one()
    return grant(session, telegram_id, invite.unit, granted_by=invite.created_by)
