"""Reading abbreviations the dictionary does not know from the catalogue's own names.

Officials and FAQ writers shorten long names to their initials — "GPLHX" for "giấy phép lưu hành
xe", "KNQ" for "kho ngoại quan", "CHKSB" for "cảng hàng không, sân bay" — far more of them than a
dictionary can list. An upper-case word of a query that is no indexed word is looked up among the
initials of every run of syllables in the procedure names; the run found most often stands for it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from index.analysis import fold, syllables

MIN_LENGTH, MAX_LENGTH = 3, 8
# Short acronyms are found by chance in some name or other: ask that their reading occur this often.
SHORT, MIN_SHORT_COUNT = 4, 2
_ACRONYM_RE = re.compile(rf"(?<!\w)[A-ZĐ]{{{MIN_LENGTH},{MAX_LENGTH}}}(?!\w)")


class Acronyms:
    def __init__(self, names: Iterable[str]) -> None:
        self._names: list[tuple[str, list[str]]] = []
        for name in names:
            found = [s for s in syllables(name) if not s.isdigit()]
            self._names.append(("".join(s[0] for s in found), found))

    def reading(self, acronym: str) -> str | None:
        """The folded syllables an acronym most often stands for in the names, if any."""
        key = fold(acronym)
        readings: Counter[str] = Counter()
        for initials, found in self._names:
            start = initials.find(key)
            while start != -1:
                readings[" ".join(found[start : start + len(key)])] += 1
                start = initials.find(key, start + 1)
        if not readings:
            return None
        reading, count = readings.most_common(1)[0]
        return reading if len(key) > SHORT or count >= MIN_SHORT_COUNT else None

    def expand(self, text: str, known: Callable[[str], bool]) -> str:
        """``text`` with every upper-case word that is not ``known`` replaced by its reading."""

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            if known(word):
                return word
            return self.reading(word) or word

        return _ACRONYM_RE.sub(replace, text)
