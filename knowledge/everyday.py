"""The everyday-language layer (``knowledge/data/everyday.json``): what citizens call each procedure.

Citizens do not use the catalogue's words: "sang tên sổ đỏ" is the registration of a land-use right
transfer, "mất sổ hồng" the re-issue of a lost certificate. For each procedure the file holds the
everyday names people use, a few typical short questions, and the life events that lead to it (each
event with the words people use for it). The names and the events' words are indexed as fields of
their own (index.building); the questions are kept out of the index and serve as training and
checking questions for the ranking (index.learning), so that what is learned is judged on questions
the index does not already hold word for word. See the file's ``about`` and ``source``; it is
checked by ``python -m knowledge.importers.everyday_check``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

EVERYDAY_FILE = Path(__file__).resolve().parent / "data" / "everyday.json"


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
        indexed = json.dumps([sorted(names.items()), sorted(events.items())], ensure_ascii=False)
        digest = hashlib.sha256(indexed.encode()).hexdigest()[:12]
        return cls(names, events, tuple(questions), digest)


@lru_cache(maxsize=1)
def load_everyday(path: Path = EVERYDAY_FILE) -> Everyday:
    return Everyday.from_data(json.loads(path.read_text(encoding="utf-8")))
