"""What the dialogue remembers between updates, for one catalogue version.

Most questions are asked again and again and most cards are opened many times; computing them once
per catalogue version makes the reply's domain step a few dictionary look-ups. Everything here
depends only on the catalogue, the units and the query, never on who asks.

An :class:`AnswerCache` belongs to one catalogue version, the one the dialogue follows (its search
index was refreshed for it). The dialogue uses it only in a transaction that sees that same version
as current; when another version is current (a reload not followed yet) it answers without it, so
a cached answer never outlives its catalogue. Following a new version replaces the whole cache, and
a thread still holding the old one fills a cache nobody reads any more.

Procedures are kept as the ``Procedure`` rows first loaded, detached from their session once it
ends (sessions do not expire them on commit): they are only ever read, by any thread, never added
to another session. Per-unit exceptions
(``ApplicabilityOverride``) are taken as they were when an answer was cached, as the search index
does; they are loaded with the units and have no other writer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.keyboards import Button
from bot.render import Line
from index.service import SearchResult
from knowledge.models import Procedure

SEARCHES = 4096  # (query, commune, top) → ranked hits
CARDS = 4096  # (procedure, commune) → a rendered card, a few KiB each
PROCEDURES = 1024  # code → the procedure's row, a few KiB each
LISTINGS = 512  # commune → what it handles, for /thutuc pages

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A thread-safe mapping of at most ``size`` entries; the least recently used one goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Card:
    """A procedure's card for one commune (or none), as shown, with what inline mode lists."""

    lines: tuple[Line, ...]
    buttons: tuple[tuple[Button, ...], ...]
    name: str
    field: str | None
    url: str


@dataclass(frozen=True)
class Listed:
    """One procedure of a /thutuc list."""

    code: str
    name: str
    field: str | None


@dataclass
class AnswerCache:
    version: int | None  # the catalogue version every entry was computed from
    searches: LRU[tuple[str, int | None, int], SearchResult] = field(default_factory=lambda: LRU(SEARCHES))
    cards: LRU[tuple[str, int | None], Card] = field(default_factory=lambda: LRU(CARDS))
    procedures: LRU[str, Procedure] = field(default_factory=lambda: LRU(PROCEDURES))
    listings: LRU[int, tuple[Listed, ...]] = field(default_factory=lambda: LRU(LISTINGS))
