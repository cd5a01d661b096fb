"""Procedure names as a card shows them: ALL-CAPS names from the portal put in sentence case.

Some publishers typed whole names in capitals ("THỦ TỤC ĐĂNG KÝ SINH HOẠT TÔN GIÁO TẬP TRUNG (CẤP
XÃ)"). Lower-casing them is easy; keeping what must stay capitalised is not: abbreviations ("UBND",
"HĐND", "ASEAN") and proper nouns ("Việt Nam", "Luật Tín ngưỡng, tôn giáo"). Both are learnt from the
thousands of names typed normally: a word written in capitals there and never in lower case is an
abbreviation; a word that, right after the same word, is nearly always capitalised there ("Việt"
"Nam", "tại" "Việt") is a proper noun's. Every other word of an ALL-CAPS name is lower-cased (a word
seen alone says little: "Nam" is capitalised after "Việt", not in "lao động nam"), and the name
starts with a capital.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

_WORD_RE = re.compile(r"\w+")
CAPS_SHARE = 0.8  # a name whose letters are at least this share capitals is an ALL-CAPS name
MIN_LETTERS = 4
PAIR_SHARE = 0.75  # after the same word, capitalised at least this often: a proper noun's word
PAIR_EVIDENCE = 2  # occurrences of a pair needed to judge a word by the word before it


def is_all_caps(name: str) -> bool:
    letters = [char for char in name if char.isalpha()]
    capitals = sum(char.isupper() for char in letters)
    return len(letters) >= MIN_LETTERS and capitals >= CAPS_SHARE * len(letters)


class NameCasing:
    """How words are written in the names typed normally (see the module docstring)."""

    def __init__(self, names: Iterable[str]) -> None:
        upper: set[str] = set()
        lower: set[str] = set()
        after: dict[tuple[str, str], list[bool]] = defaultdict(list)  # (previous, word) → capitalised?
        for name in names:
            if is_all_caps(name):
                continue
            for first, previous, word in _words(name):
                folded = word.lower()
                if len(word) >= 2 and word.isupper():
                    upper.add(folded)
                    continue
                lower.add(folded)
                if not first and previous is not None:
                    after[(previous.lower(), folded)].append(word[:1].isupper())
        self.abbreviations = frozenset(upper - lower)
        self._proper = frozenset(
            pair
            for pair, seen in after.items()
            if len(seen) >= PAIR_EVIDENCE and sum(seen) >= PAIR_SHARE * len(seen)
        )

    def word(self, word: str, first: bool, previous: str | None) -> str:
        """``word`` of an ALL-CAPS name cased; ``previous``: the word just before it, if adjacent."""
        folded = word.lower()
        if folded in self.abbreviations:
            return word.upper()
        capital = first or (previous is not None and (previous.lower(), folded) in self._proper)
        return folded[:1].upper() + folded[1:] if capital else folded

    def sentence_case(self, name: str) -> str:
        """An ALL-CAPS ``name`` in sentence case; any other name unchanged."""
        if not is_all_caps(name):
            return name
        cased = iter(self.word(word, first, previous) for first, previous, word in _words(name))
        return _WORD_RE.sub(lambda _match: next(cased), name)


def _words(name: str) -> list[tuple[bool, str | None, str]]:
    """Each word of ``name``: whether it is the first, the word just before it when only spaces part
    them (else None), and the word."""
    result: list[tuple[bool, str | None, str]] = []
    end, previous = 0, None
    for match in _WORD_RE.finditer(name):
        adjacent = previous is not None and not name[end : match.start()].strip()
        result.append((not result, previous if adjacent else None, match.group()))
        end, previous = match.end(), match.group()
    return result
