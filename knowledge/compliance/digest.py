"""The morning digest officials ask for with /nhacviec: who gets it, and one sending per day.

The scheduling is the bot's (a daily job at 7:30, Vietnam time, skipped on days off); here is only
the state. Sending claims an official's day with a conditional update, so several bot processes or
hosts sharing the database send each digest once.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from knowledge.compliance.models import Official


def toggle(session: Session, telegram_id: int) -> bool | None:
    """Switch the user's digest on, or off if it was on; the new state, None if he is no official."""
    rows = list(session.scalars(select(Official).where(Official.telegram_id == telegram_id)))
    if not rows:
        return None
    on = not any(row.digest for row in rows)
    for row in rows:
        row.digest = on
    session.flush()
    return on


def subscribers(session: Session) -> list[Official]:
    """The officials' bindings with the digest on, by user and unit."""
    query = select(Official).where(Official.digest.is_(True))
    return list(session.scalars(query.order_by(Official.telegram_id, Official.unit_id)))


def claim(session: Session, official_id: int, today: date) -> bool:
    """Take today's digest of this binding: True once per day, whichever process asks first."""
    statement = (
        update(Official)
        .where(
            Official.id == official_id,
            Official.digest.is_(True),
            or_(Official.digest_sent_on.is_(None), Official.digest_sent_on < today),
        )
        .values(digest_sent_on=today)
    )
    return bool(cast(CursorResult[Any], session.execute(statement)).rowcount)
