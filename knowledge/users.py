"""Chat users' state (chosen commune, last results, what the bot is waiting for), kept in the database.

The setters change a user row fetched with ``get_user`` or ``visit`` (one query per update); the
caller's transaction commits them. A setter leaves the row alone when the value is already there, so an update
that changes nothing (the same question asked again, a button pressed) does not write.

A user row is created on first contact; two updates from the same new user racing to create it are
settled by the unique ``telegram_id`` (the loser re-reads the winner's row).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from knowledge.catalogue import CURRENT_VERSION_ID, catalogue_version_id
from knowledge.models import COMMUNAL_KINDS, ChatUser, Unit

MAX_LAST_RESULTS = 10


# Built once: nearly every update runs it, and building the statement cost as much as running it.
_USER_BY_TELEGRAM_ID = (
    select(ChatUser)
    .options(joinedload(ChatUser.unit))
    .where(ChatUser.telegram_id == bindparam("telegram_id"))
)


def is_commune(unit: Unit) -> bool:
    """Whether ``unit`` may be a user's commune: a 2025 commune, ward or special zone."""
    return unit.is_current and unit.kind in COMMUNAL_KINDS


def _checked(user: ChatUser) -> ChatUser:
    """The row, without a commune that is none (a province recorded before that was refused): such a
    row is answered as if no commune were chosen, and cleared when the transaction commits."""
    if user.unit is not None and not is_commune(user.unit):
        user.unit_id = None
        user.unit = None
    return user


def find_user(session: Session, telegram_id: int) -> ChatUser | None:
    """The user's row with their commune (loaded in the same query: nearly every update needs it)."""
    user = session.scalars(_USER_BY_TELEGRAM_ID, {"telegram_id": telegram_id}).first()
    return _checked(user) if user is not None else None


def get_user(session: Session, telegram_id: int) -> ChatUser:
    """The user's row, created (with no commune) on first contact."""
    user = find_user(session, telegram_id)
    if user is not None:
        return user
    try:
        with session.begin_nested():
            user = ChatUser(telegram_id=telegram_id, last_results=[], pending={})
            session.add(user)
    except IntegrityError:
        user = find_user(session, telegram_id)
        if user is None:
            raise
    return user


_USER_AND_VERSION = (
    select(ChatUser, CURRENT_VERSION_ID.scalar_subquery())
    .options(joinedload(ChatUser.unit))
    .where(ChatUser.telegram_id == bindparam("telegram_id"))
)


def visit(session: Session, telegram_id: int) -> tuple[ChatUser, int | None]:
    """The user's row (created on first contact) and the id of the catalogue version current in this
    transaction, read in one query: nearly every update needs both."""
    row = session.execute(_USER_AND_VERSION, {"telegram_id": telegram_id}).first()
    if row is not None:
        return _checked(row[0]), row[1]
    return get_user(session, telegram_id), catalogue_version_id(session)


def user_unit(session: Session, telegram_id: int) -> Unit | None:
    """The commune the user chose, or None."""
    user = find_user(session, telegram_id)
    return user.unit if user is not None else None


def set_commune(user: ChatUser, unit: Unit) -> ChatUser:
    """Remember the user's commune; whatever the bot was waiting for is settled by it.

    Raises ValueError for a unit that is not a 2025 commune, ward or special zone: a province or a
    district recorded as the commune would make every later answer fail.
    """
    if not is_commune(unit):
        raise ValueError(f"{unit!r} is not a current commune")
    if user.unit_id != unit.id:
        user.unit_id = unit.id
        user.unit = unit
    return set_pending(user, {})


def set_last_results(user: ChatUser, codes: list[str]) -> ChatUser:
    codes = list(codes[:MAX_LAST_RESULTS])
    if user.last_results != codes:
        user.last_results = codes
    return user


def set_pending(user: ChatUser, pending: dict[str, Any]) -> ChatUser:
    """Record what the next free text answers (e.g. ``{"await": "commune"}``); ``{}`` clears it."""
    if user.pending != pending:
        user.pending = dict(pending)
    return user


def pending_of(session: Session, telegram_id: int) -> dict[str, Any]:
    user = find_user(session, telegram_id)
    return dict(user.pending) if user is not None and user.pending else {}
