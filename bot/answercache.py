"""What the dialogue remembers between updates, for one catalogue version.

Most questions are asked again and again and most cards are opened many times; computing them once
per catalogue version makes the reply's domain step a few dictionary look-ups. Everything here
depends only on the catalogue, the units and the query, never on who asks.

An :class:`AnswerCache` belongs to one catalogue version, the one the dialogue follows (its search
index was refreshed for it). The dialogue uses it only in a transaction that sees that same version
as current; when another version is current (a reload not followed yet) it answers without it, so
a cached answer never outlives its catalogue. Following a new version replaces the whole cache, and
a thread still holding the old one fills a cache nobody reads any more.

Only plain immutable values are kept (search hits, rendered lines and buttons, names), never a
database row: a row belongs to the session that loaded it, and a request that fails after loading
one rolls its transaction back, which expires the row — shared, it would fail every later request
that read it. A failed request can therefore leave nothing behind but values it finished
computing. Per-unit exceptions (``ApplicabilityOverride``) are taken as they were when an answer
was cached, as the search index does; they are loaded with the units and have no other writer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.keyboards import Button
from bot.render import Line
from index.service import SearchResult

SEARCHES = 4096  # (query, commune, top) → ranked hits
CARDS = 4096  # (procedure, commune) → a rendered card, a few KiB each
SCREENS = 1024  # (button, procedure) → its papers, legal basis or related procedures, rendered
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
class Screen:
    """A reply that depends on the catalogue only: a procedure's papers, legal basis, related ones."""

    lines: tuple[Line, ...]
    buttons: tuple[tuple[Button, ...], ...]


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
    screens: LRU[tuple[str, str], Screen] = field(default_factory=lambda: LRU(SCREENS))
    listings: LRU[int, tuple[Listed, ...]] = field(default_factory=lambda: LRU(LISTINGS))
