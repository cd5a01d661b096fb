"""Buttons: channel-neutral rows, their callback data (ids only, ≤ 64 bytes), Telegram markup.

Callback data is ``<action>:<id>[:<id>…]`` with ASCII ids (procedure codes, unit era and code,
page numbers), never names: Telegram allows 64 bytes and a Vietnamese letter takes 2–3.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64
SEPARATOR = ":"


class Action(enum.StrEnum):
    CARD = "p"  # p:<procedure code>
    DOCUMENTS = "d"  # d:<procedure code>
    LEGAL = "l"  # l:<procedure code>
    RELATED = "r"  # r:<procedure code>
    UNIT = "u"  # u:<era>:<unit code>
    AREA = "a"  # a:<era>:<unit code>:<page> — the communes of a province or an old district
    PAGE = "t"  # t:<page>


@dataclass(frozen=True)
class Button:
    """A button: either it sends ``data`` back to the bot, or it opens ``url``."""

    label: str
    data: str | None = None
    url: str | None = None


Rows = list[list[Button]]


def callback(action: Action, *ids: str | int) -> str:
    """Callback data for ``action``; raises ValueError if it would not fit Telegram's 64 bytes."""
    parts = [str(part) for part in ids]
    if any(SEPARATOR in part or not part for part in parts):
        raise ValueError(f"callback ids must be non-empty and free of {SEPARATOR!r}: {parts!r}")
    data = SEPARATOR.join([action.value, *parts])
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def parse_callback(data: str) -> tuple[Action, list[str]] | None:
    """The action and ids in callback data, or None for data this bot never produced."""
    head, _, rest = data.partition(SEPARATOR)
    try:
        action = Action(head)
    except ValueError:
        return None
    ids = rest.split(SEPARATOR) if rest else []
    return (action, ids) if ids and all(ids) else None


def whole_number(text: str, digits: int = 6) -> int | None:
    """A number in callback data or a command's argument: ASCII digits only, at most ``digits`` of
    them; None otherwise. (``str.isdigit`` accepts "²" and "٣", and ``int`` refuses the first.)"""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def in_rows(buttons: Sequence[Button], per_row: int) -> Rows:
    return [list(buttons[start : start + per_row]) for start in range(0, len(buttons), per_row)]


def to_markup(rows: Rows) -> InlineKeyboardMarkup | None:
    """Telegram's inline keyboard for ``rows`` (None when there are no buttons)."""
    keyboard = [
        [
            InlineKeyboardButton(button.label, url=button.url)
            if button.url
            else InlineKeyboardButton(button.label, callback_data=button.data)
            for button in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(keyboard) if keyboard else None
