"""The everyday-words dictionary (``knowledge/data/vocabulary.json``) and how a query is rewritten with it.

Entries are matched syllable by syllable: a syllable typed with diacritics must match exactly, one
typed without matches any accented form, so "so do" finds "sổ đỏ" and "thuong chu" finds "thường chú",
while "đăng" is not mistaken for the filler "đang". One-syllable entries always match exactly: too many
syllables share a folded form ("dang" is đăng, đang and đáng). Four kinds of entry:

- ``replace``: colloquial words, misspellings and abbreviations that never occur in the catalogue are
  replaced by the official term ("sổ đỏ" → "giấy chứng nhận quyền sử dụng đất", "kí" → "ký");
- ``expand``: everyday words that may also occur in the catalogue keep their place and bring the
  official term along ("thế chấp" + "biện pháp bảo đảm");
- ``abbreviations``: abbreviations the catalogue itself uses ("TNLĐ"); each side brings the other;
- ``fillers``: phrases that say nothing about which procedure is meant ("thủ tục", "ở đâu"); they are
  dropped so that they do not drive the ranking.

The longest entry starting at a position wins; a rewritten span is never rewritten again.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from index.analysis import fold, normalize

VOCABULARY_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "vocabulary.json"

_SYLLABLE_RE = re.compile(r"\w+")
_REPLACE, _EXPAND, _FILLER = "replace", "expand", "filler"


@dataclass(frozen=True)
class _Rule:
    kind: str
    key: tuple[str, ...]  # the entry's syllables, lowercase, with diacritics
    target: tuple[str, ...]  # the replacement or added text, as normalised lowercase words

    def matches(self, typed: list[str]) -> bool:
        if len(self.key) == 1:
            return typed[0] == self.key[0]
        return all(t == k or t == fold(t) for t, k in zip(typed, self.key, strict=True))


@dataclass(frozen=True)
class Rewrite:
    """A query after the dictionary: the text to rank with and what was changed."""

    text: str  # content words, rewritten, fillers removed
    changed: bool  # a replace/expand/abbreviation rule fired
    added: tuple[str, ...] = field(default=())  # texts brought in by expand/abbreviation rules
    # ``text`` cut where fillers were dropped: words either side of a filler were not adjacent, so
    # they make no phrase ("khai sinh cho con" is not about a "sinh con")
    phrases: tuple[str, ...] = field(default=())


class Vocabulary:
    def __init__(
        self,
        replace: dict[str, str],
        expand: dict[str, str],
        abbreviations: dict[str, str],
        fillers: list[str],
    ) -> None:
        # folded key → rules (several entries may share a folded form: "sổ đỏ", "số đo")
        self._rules: dict[tuple[str, ...], list[_Rule]] = {}
        for phrase in fillers:
            self._add(_FILLER, phrase, "")
        for source, target in expand.items():
            self._add(_EXPAND, source, target)
        for short, long in abbreviations.items():
            self._add(_REPLACE, short, f"{long} {short}")
            self._add(_EXPAND, long, short)
        for source, target in replace.items():
            self._add(_REPLACE, source, target)
        self._longest = max((len(key) for key in self._rules), default=0)

    def _add(self, kind: str, phrase: str, target: str) -> None:
        key = _syllables(phrase)
        if not key:
            return
        rules = self._rules.setdefault(tuple(fold(s) for s in key), [])
        # a later entry for the same words wins (replace beats expand beats filler)
        rules[:] = [rule for rule in rules if rule.key != key]
        rules.insert(0, _Rule(kind, key, _words(target)))

    @classmethod
    def from_file(cls, path: Path) -> Vocabulary:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            replace=data.get("replace", {}),
            expand=data.get("expand", {}),
            abbreviations=data.get("abbreviations", {}),
            fillers=data.get("fillers", []),
        )

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, phrase: object) -> bool:
        """Whether some entry is written like ``phrase`` (without regard to diacritics)."""
        return isinstance(phrase, str) and tuple(fold(s) for s in _syllables(phrase)) in self._rules

    def rewrite(self, query: str) -> Rewrite:
        """Apply the dictionary to a query (any text; nothing is raised)."""
        original = _words(query)
        # Match on the flat syllable sequence, but keep the words as typed for the output.
        flat = [(s, i) for i, word in enumerate(original) for s in _syllables(word)]
        out: list[str] = []
        breaks: list[int] = []  # positions in ``out`` where a filler was dropped
        added: list[str] = []
        changed = False
        position = 0
        emitted_word = -1
        while position < len(flat):
            rule, length = self._match([s for s, _ in flat[position : position + self._longest]])
            if rule is None:
                word_index = flat[position][1]
                if word_index != emitted_word:
                    out.append(original[word_index])
                    emitted_word = word_index
                position += 1
                continue
            covered = {flat[i][1] for i in range(position, position + length)}
            if rule.kind == _EXPAND:
                out.extend(original[i] for i in sorted(covered) if i != emitted_word)
                added.append(" ".join(rule.target))
            if rule.kind in (_REPLACE, _EXPAND):
                out.extend(rule.target)
                changed = True
            else:
                breaks.append(len(out))
            emitted_word = max(covered)
            position += length
        bounds = [0, *breaks, len(out)]
        phrases = tuple(" ".join(out[a:b]) for a, b in itertools.pairwise(bounds) if b > a)
        return Rewrite(" ".join(out), changed, tuple(added), phrases)

    def _match(self, window: list[str]) -> tuple[_Rule | None, int]:
        folded = [fold(s) for s in window]
        for length in range(len(window), 0, -1):
            for rule in self._rules.get(tuple(folded[:length]), ()):
                if rule.matches(window[:length]):
                    return rule, length
        return None, 0


def _words(text: str) -> tuple[str, ...]:
    return tuple(normalize(text).lower().split())


def _syllables(text: str) -> tuple[str, ...]:
    return tuple(_SYLLABLE_RE.findall(normalize(text).lower()))


@lru_cache(maxsize=1)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    return Vocabulary.from_file(path)
