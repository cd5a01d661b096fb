"""The everyday-language layer (``knowledge/data/everyday.json``): what citizens call each procedure.

Citizens do not use the catalogue's words: "sang tên sổ đỏ" is the registration of a land-use right
transfer, "mất sổ hồng" the re-issue of a lost certificate. For each procedure the file holds the
everyday names people use, a few typical short questions, and the life events that lead to it (each
event with the words people use for it). The names and the events' words are indexed as fields of
their own (index.building); the questions are kept out of the index and serve as training and
checking questions for the ranking (index.learning), so that what is learned is judged on questions
the index does not already hold word for word. See the file's ``about`` and ``source``; it is
checked by ``python -m knowledge.importers.everyday_check``.

Admins add names at run time (``/themtu`` on Telegram, ``tthc-bot everyday add``), typically from
the unanswered questions ``/stats`` lists: they are kept in the database (``everyday_phrases``) so
that every process sharing it indexes them; the search service merges them into the bundled layer
(:meth:`Everyday.with_phrases`) each time it checks whether its index is current.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from knowledge.models import EverydayPhrase, Procedure
from knowledge.units import fold

EVERYDAY_FILE = Path(__file__).resolve().parent / "data" / "everyday.json"
MAX_PHRASE_LENGTH = 200
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Everyday:
    """Everyday names, event words and typical questions by procedure code."""

    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    events: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code → the words of its events
    questions: tuple[tuple[str, str], ...] = ()  # (question, code)
    digest: str = ""  # of what is indexed: an index built from other names is stale

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Everyday:
        event_words = {
            str(key): tuple(str(word) for word in value.get("words", []))
            for key, value in (data.get("events") or {}).items()
        }
        names: dict[str, tuple[str, ...]] = {}
        events: dict[str, tuple[str, ...]] = {}
        questions: list[tuple[str, str]] = []
        for entry in data.get("procedures") or []:
            code = str(entry["code"])
            names[code] = tuple(str(name) for name in entry.get("everyday", []))
            words = [word for event in entry.get("events", []) for word in event_words.get(str(event), ())]
            if words:
                events[code] = tuple(dict.fromkeys(words))
            questions.extend((str(question), code) for question in entry.get("questions", []))
        return cls(names, events, tuple(questions), _digest(names, events))

    def with_phrases(self, added: dict[str, tuple[str, ...]]) -> Everyday:
        """This layer with the names admins ``added`` (see :func:`added_phrases`) after each
        procedure's own; its digest changes with them, so that an index built without them is stale.
        Without any it is this very layer, digest included."""
        if not any(added.values()):
            return self
        names = dict(self.names)
        for code, phrases in added.items():
            names[code] = tuple(dict.fromkeys((*names.get(code, ()), *phrases)))
        return replace(self, names=names, digest=_digest(names, self.events))


def _digest(names: dict[str, tuple[str, ...]], events: dict[str, tuple[str, ...]]) -> str:
    indexed = json.dumps([sorted(names.items()), sorted(events.items())], ensure_ascii=False)
    return hashlib.sha256(indexed.encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def load_everyday(path: Path = EVERYDAY_FILE) -> Everyday:
    return Everyday.from_data(json.loads(path.read_text(encoding="utf-8")))


class Refusal(enum.StrEnum):
    """Why a phrase was not added or removed; the caller words it (bot/texts.py)."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    UNKNOWN_CODE = "unknown_code"
    KNOWN = "known"  # the procedure already has this name (bundled or added), as folded
    BUNDLED = "bundled"  # removing a name of the bundled file, which only an edit of the file changes
    MISSING = "missing"  # removing a name the procedure does not have


class PhraseRefused(ValueError):
    def __init__(self, reason: Refusal, code: str, phrase: str) -> None:
        super().__init__(f"{reason}: {code} «{phrase}»")
        self.reason, self.code, self.phrase = reason, code, phrase


def clean_phrase(phrase: str) -> str:
    """NFC, single spaces, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", phrase)).strip()


def _stored(session: Session, code: str) -> list[EverydayPhrase]:
    query = select(EverydayPhrase).where(EverydayPhrase.procedure_code == code).order_by(EverydayPhrase.id)
    return list(session.scalars(query))


def add_phrase(
    session: Session, code: str, phrase: str, added_by: int | None, everyday: Everyday | None = None
) -> EverydayPhrase:
    """Add an everyday name of the procedure ``code``; refused (:class:`PhraseRefused`) when it is
    empty or too long, the code is not in the catalogue, or the procedure already has the name in
    ``everyday`` (the bundled layer by default) or among the added ones, compared folded
    ("Sổ Đỏ" is "so do")."""
    code, phrase = code.strip(), clean_phrase(phrase)
    if not fold(phrase):
        raise PhraseRefused(Refusal.EMPTY, code, phrase)
    if len(phrase) > MAX_PHRASE_LENGTH:
        raise PhraseRefused(Refusal.TOO_LONG, code, phrase)
    if not session.scalar(select(exists().where(Procedure.code == code))):
        raise PhraseRefused(Refusal.UNKNOWN_CODE, code, phrase)
    everyday = everyday or load_everyday()
    known = [*everyday.names.get(code, ()), *(row.phrase for row in _stored(session, code))]
    if fold(phrase) in {fold(name) for name in known}:
        raise PhraseRefused(Refusal.KNOWN, code, phrase)
    row = EverydayPhrase(procedure_code=code, phrase=phrase, added_by=added_by)
    session.add(row)
    session.flush()
    return row


def remove_phrase(session: Session, code: str, phrase: str, everyday: Everyday | None = None) -> str:
    """Remove an added name (compared folded) and return it as it was stored; refused when the
    procedure has no such added name."""
    code, phrase = code.strip(), clean_phrase(phrase)
    found = [row for row in _stored(session, code) if fold(row.phrase) == fold(phrase)]
    if not found:
        bundled = (everyday or load_everyday()).names.get(code, ())
        reason = Refusal.BUNDLED if fold(phrase) in {fold(name) for name in bundled} else Refusal.MISSING
        raise PhraseRefused(reason, code, phrase)
    session.execute(delete(EverydayPhrase).where(EverydayPhrase.id.in_([row.id for row in found])))
    return found[0].phrase


def stored_phrases(session: Session) -> list[EverydayPhrase]:
    """Every added name, oldest first."""
    return list(session.scalars(select(EverydayPhrase).order_by(EverydayPhrase.id)))


def added_phrases(session: Session) -> dict[str, tuple[str, ...]]:
    """The names admins added, by procedure code, oldest first."""
    added: dict[str, list[str]] = {}
    for row in stored_phrases(session):
        added.setdefault(row.procedure_code, []).append(row.phrase)
    return {code: tuple(phrases) for code, phrases in added.items()}


def phrases_stamp(session: Session) -> str:
    """A short digest of the added names ("" when there are none): what a version watcher compares
    to tell that the index must take them in (knowledge.versionwatch)."""
    added = added_phrases(session)
    return _digest(added, {}) if added else ""
