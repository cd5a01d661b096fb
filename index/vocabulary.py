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

Indexed text goes through the abbreviation entries too (``spell_out``), so that a name written with
"TNLĐ" holds "tai nạn lao động" and one written in full holds "TNLĐ", each in the same order as a
rewritten query: "TNLĐ lần đầu" and "tai nạn lao động lần đầu" then share their words and pairs.

A request often ends by saying whom the paper is for: "làm giấy khai sinh cho con", "đăng ký thường
trú cho mẹ tôi". Such a trailing ``beneficiaries`` phrase (``cho`` + kinship words, fillers and
``possessives`` around them) names no procedure, and its "con" or "mẹ" would pull up the procedures
named with them ("… nhận cha, mẹ, con"), so it is dropped. Only at the end and only after ``cho``: "nhận
cha mẹ con", "cho thuê" and "tặng cho con" (where "cho" belongs to the verb) keep their words.

A long question often tells a story before it asks: "Vợ tôi mới sinh con, nay tôi muốn đăng ký khai
sinh cho con …", "Đơn vị vừa được cấp giấy phép kinh doanh, vậy tôi muốn đăng ký con dấu …". What
follows the last ``focus`` phrase ("muốn", "để được", "vậy", "cho tôi hỏi") names what is asked;
what comes before it is ``background``: the situation, which the ranking weighs less (index.ranking).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from index.analysis import fold, normalize

VOCABULARY_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "vocabulary.json"

_SYLLABLE_RE = re.compile(r"\w+")
# what may separate the words of an abbreviated phrase in indexed text ("khám bệnh, chữa bệnh")
_ABBREVIATION_GAP = r"[\s,]+"
_REPLACE, _EXPAND, _FILLER = "replace", "expand", "filler"
# A trailing beneficiary phrase starts with this word, unless it belongs to a verb before it.
_FOR, _VERBS_WITH_FOR = "cho", frozenset({"tang"})


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
    # how many of the ``phrases`` tell the situation before the last focus phrase ("… nay tôi muốn")
    background: int = 0
    whom: str = ""  # the trailing beneficiary phrase left out of ``text`` ("cho con của tôi")


class Vocabulary:
    def __init__(
        self,
        replace: dict[str, str],
        expand: dict[str, str],
        abbreviations: dict[str, str],
        fillers: list[str],
        beneficiaries: Iterable[str] = (),
        possessives: Iterable[str] = (),
        focus: Iterable[str] = (),
    ) -> None:
        # folded key → rules (several entries may share a folded form: "sổ đỏ", "số đo")
        self._rules: dict[tuple[str, ...], list[_Rule]] = {}
        # the abbreviation entries alone, for indexed text
        self._spelling: dict[tuple[str, ...], list[_Rule]] = {}
        for short, long in abbreviations.items():
            self._add(_REPLACE, short, f"{long} {short}", self._spelling)
            self._add(_EXPAND, long, short, self._spelling)
        # finds where the folded text may hold an entry, so that Python looks at those places only
        keys = sorted(self._spelling, key=len, reverse=True)  # the longest entry first
        self._spelling_re = re.compile(
            r"(?<!\w)(?:" + "|".join(_ABBREVIATION_GAP.join(map(re.escape, key)) for key in keys) + r")(?!\w)"
            if keys
            else r"(?!)"
        )
        # indexed text depends on the abbreviations: an index built with others is stale
        self.spelling_digest = hashlib.sha256(
            json.dumps(sorted(abbreviations.items()), ensure_ascii=False).encode()
        ).hexdigest()[:12]
        for phrase in fillers:
            self._add(_FILLER, phrase, "")
        # targets are spelled like indexed text: a target "thẻ bảo hiểm y tế" brings "bhyt" along
        for source, target in expand.items():
            self._add(_EXPAND, source, self.spell_out(target))
        for short, long in abbreviations.items():
            self._add(_REPLACE, short, f"{long} {short}")
            self._add(_EXPAND, long, short)
        for source, target in replace.items():
            self._add(_REPLACE, source, self.spell_out(target))
        self._longest = max((len(key) for key in self._rules), default=0)
        self._kin: dict[tuple[str, ...], list[_Rule]] = {}
        for phrase in beneficiaries:
            self._add(_FILLER, phrase, "", self._kin)
        self._kin_longest = max((len(key) for key in self._kin), default=0)
        self._possessives = frozenset(key for phrase in possessives if (key := _syllables(phrase)))
        self._focus: dict[tuple[str, ...], list[_Rule]] = {}
        for phrase in focus:
            self._add(_FILLER, phrase, "", self._focus)
        self._focus_longest = max((len(key) for key in self._focus), default=0)
        self._focus_first = frozenset(key[0] for key in self._focus)

    def _add(
        self,
        kind: str,
        phrase: str,
        target: str,
        table: dict[tuple[str, ...], list[_Rule]] | None = None,
    ) -> None:
        key = _syllables(phrase)
        if not key:
            return
        rules = (self._rules if table is None else table).setdefault(tuple(fold(s) for s in key), [])
        # a later entry for the same words wins (replace beats expand beats filler)
        rules[:] = [rule for rule in rules if rule.key != key]
        rules.insert(0, _Rule(kind, key, _words(target)))

    @classmethod
    def from_file(cls, path: Path) -> Vocabulary:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            replace=data.get("replace", {}),
            expand={**foreigner_entries(data.get("foreigners", {})), **data.get("expand", {})},
            abbreviations=data.get("abbreviations", {}),
            fillers=data.get("fillers", []),
            beneficiaries=data.get("beneficiaries", {}).get("kin", []),
            possessives=data.get("beneficiaries", {}).get("possessives", []),
            focus=data.get("focus", []),
        )

    @property
    def filler_words(self) -> frozenset[str]:
        """The one-syllable fillers (lowercase, with diacritics) that no entry brings back: words no
        rewritten query holds ("từ" is a filler, but "sao y" becomes "… bản sao từ bản chính")."""
        rules = [rule for rules in self._rules.values() for rule in rules]
        brought = {word for rule in rules for word in rule.target}
        return frozenset(
            rule.key[0]
            for rule in rules
            if rule.kind == _FILLER and len(rule.key) == 1 and rule.key[0] not in brought
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
        for start in self._focus_starts([s for s, _ in flat]):
            while start > 0 and flat[start - 1][1] == flat[start][1]:  # a word is not cut
                start -= 1
            asked = self._asked(original, flat[start:]) if start else None
            if asked is None or not asked.text:  # nothing asked after this focus phrase
                continue
            story = self._rewrite(original, flat[:start])
            return Rewrite(
                f"{story.text} {asked.text}".strip(),
                story.changed or asked.changed,
                story.added + asked.added,
                story.phrases + asked.phrases,
                len(story.phrases),
                asked.whom,
            )
        return self._asked(original, flat)

    def _asked(self, original: tuple[str, ...], flat: list[tuple[str, int]]) -> Rewrite:
        """The rewrite of what is asked, without a trailing beneficiary phrase."""
        end = self._beneficiary_start([s for s, _ in flat])
        if end < len(flat):
            rewrite = self._rewrite(original, flat[:end])
            if rewrite.text:  # a request that only names a relative keeps it
                return replace(rewrite, whom=" ".join(syllable for syllable, _ in flat[end:]))
        return self._rewrite(original, flat)

    def _focus_starts(self, typed: list[str]) -> Iterator[int]:
        """Where focus phrases start in the typed syllables, the last first (never at the start)."""
        folded = fold(" ".join(typed)).split()  # one call: syllables hold no spaces
        for position in range(len(typed) - 1, 0, -1):
            if folded[position] not in self._focus_first:
                continue
            for length in range(min(self._focus_longest, len(typed) - position), 0, -1):
                rules = self._focus.get(tuple(folded[position : position + length]), ())
                if any(rule.matches(typed[position : position + length]) for rule in rules):
                    yield position
                    break

    def _rewrite(self, original: tuple[str, ...], flat: list[tuple[str, int]]) -> Rewrite:
        out: list[str] = []
        breaks: list[int] = []  # positions in ``out`` where a filler was dropped
        added: list[str] = []
        changed = False
        position = 0
        emitted_word = -1
        typed = [s for s, _ in flat]
        folded = fold(" ".join(typed)).split()  # once: syllables hold no spaces
        while position < len(flat):
            end = position + self._longest
            rule, length = self._match(typed[position:end], folded[position:end])
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

    def _match(self, window: list[str], folded: list[str] | None = None) -> tuple[_Rule | None, int]:
        """The longest entry the window of typed syllables starts with (``folded``: their folded
        forms, when the caller has them)."""
        folded = folded if folded is not None else [fold(s) for s in window]
        for length in range(len(window), 0, -1):
            for rule in self._rules.get(tuple(folded[:length]), ()):
                if rule.matches(window[:length]):
                    return rule, length
        return None, 0

    def _beneficiary_start(self, typed: list[str]) -> int:
        """Where a trailing "cho + kinship words" phrase starts in the typed syllables; their number
        when there is none."""
        position, kin = len(typed), False
        while position > 0:
            if typed[position - 1] == _FOR:
                start = position - 1
                if kin and start > 0 and fold(typed[start - 1]) not in _VERBS_WITH_FOR:
                    return start
                break
            length = self._trailing_kin(typed[:position])
            if length:
                kin = True
            elif (typed[position - 1],) in self._possessives:
                length = 1
            else:
                length = self._trailing_filler(typed[:position])
            if not length:
                break
            position -= length
        return len(typed)

    def _trailing_kin(self, typed: list[str]) -> int:
        for length in range(min(self._kin_longest, len(typed)), 0, -1):
            rules = self._kin.get(tuple(fold(s) for s in typed[-length:]), ())
            if any(rule.matches(typed[-length:]) for rule in rules):
                return length
        return 0

    def _trailing_filler(self, typed: list[str]) -> int:
        for length in range(min(self._longest, len(typed)), 0, -1):
            rule, matched = self._match(typed[-length:])
            if rule is not None and rule.kind == _FILLER and matched == length:
                return length
        return 0

    def spell_out(self, text: str) -> str:
        """``text`` with each abbreviation entry written as a query is rewritten: the full words then
        the abbreviation, whichever of them the text used; the rest of the text is kept as it is. The
        words of an entry may be separated by spaces and commas ("khám bệnh, chữa bệnh"), nothing else."""
        text = unicodedata.normalize("NFC", text)
        folded = fold(text)
        if len(folded) != len(text):  # never for Vietnamese; keep the offsets of ``text``
            folded = "".join((fold(char) or char)[0] for char in text)
        parts: list[str] = []
        written = 0  # how much of ``text`` is in ``parts``
        for found in self._spelling_re.finditer(folded):
            start, end = found.span()
            rules = self._spelling[tuple(_SYLLABLE_RE.findall(found.group(0)))]
            rule = self._spelled_rule(rules, _SYLLABLE_RE.findall(text[start:end].lower()))
            if rule is None:  # written with other diacritics: another word
                continue
            if rule.kind == _EXPAND:  # the full words, as written, then the abbreviation
                spelled = " ".join((text[start:end], *rule.target))
            else:
                spelled = " ".join(rule.target)
            parts += [text[written:start], spelled]
            written = end
        return "".join([*parts, text[written:]])

    @staticmethod
    def _spelled_rule(rules: list[_Rule], typed: list[str]) -> _Rule | None:
        """The rule matching syllables of indexed text, spelled as written or, failing that, with
        underthesea's spelling normalisation (khoẻ → khỏe), which costs more and is rarely needed."""
        for candidate in (typed, [_normalized(syllable) for syllable in typed]):
            rule = next((rule for rule in rules if rule.matches(candidate)), None)
            if rule is not None:
                return rule
        return None


def foreigner_entries(foreigners: dict[str, Any]) -> dict[str, str]:
    """Expand entries for people of other countries: each lead word before each country ("người
    Mỹ", "quốc tịch Hàn Quốc", "chồng Đài Loan"), and the words that need no country ("Việt kiều"),
    all bringing along what the catalogue calls the foreign element ("nước ngoài")."""
    means = str(foreigners.get("means", ""))
    if not means:
        return {}
    phrases = [
        f"{lead} {country}"
        for lead in foreigners.get("leads", [])
        for country in foreigners.get("countries", [])
    ]
    return dict.fromkeys([*phrases, *foreigners.get("words", [])], means)


@lru_cache(maxsize=16384)
def _normalized(syllable: str) -> str:
    """underthesea's normalisation of one syllable: indexing asks for the same few thousand often."""
    return normalize(syllable)


def _words(text: str) -> tuple[str, ...]:
    return tuple(normalize(text).lower().split())


@lru_cache(maxsize=65536)
def _syllables(text: str) -> tuple[str, ...]:
    """The lowercase syllables of a word or phrase; cached: a query's words are met again and again."""
    return tuple(_SYLLABLE_RE.findall(normalize(text).lower()))


@lru_cache(maxsize=1)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    return Vocabulary.from_file(path)
