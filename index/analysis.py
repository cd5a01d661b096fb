"""Vietnamese text analysis shared by indexing and querying.

When the analysis changes (or what an index holds), bump ``ANALYSIS_VERSION`` so that existing
indexes are seen as stale and rebuilt.

Three views of a text are indexed:

- ``words``: underthesea word segments, lowercased, with diacritics ("đăng_ký", "khai_sinh");
- ``folded``: syllables without diacritics, đ folded to d ("dang", "ky") — underthesea segments
  unaccented text poorly, and phone users often type without accents;
- ``pairs``: adjacent folded syllables ("dang_ky", "ky_khai"), which restores some of the word
  structure to unaccented queries ("ket hon" should not match "kết quả … hơn").
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from functools import lru_cache

from underthesea import text_normalize, word_tokenize
from whoosh.support.charset import accent_map

ANALYSIS_VERSION = "12"

_SYLLABLE_RE = re.compile(r"\w+")
_SPACES_RE = re.compile(r"\s+")
_PUNCTUATION_RE = re.compile(r"[^\w\s]+")
_LEADING_ZERO_RE = re.compile(r"(?<!\w)0")
# accent_map already maps đ/Đ to d; lowercase first so that one table serves both cases.
_FOLD_TABLE = {**accent_map, ord("đ"): "d", ord("Đ"): "d"}


def normalize(text: str) -> str:
    """NFC, underthesea's spelling normalisation (hoà → hòa, thuỷ → thủy) and single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = _SPACES_RE.sub(" ", text).strip()
    if not text:
        return ""
    return text_normalize(text)


def fold(text: str) -> str:
    """Lowercase and strip Vietnamese diacritics, đ included: "Đăng ký" → "dang ky"."""
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD_TABLE)


def syllables(text: str) -> list[str]:
    """The folded syllables of a text, in order; numbers lose their leading zeros ("02" → "2")."""
    folded = fold(text)
    found: list[str] = _SYLLABLE_RE.findall(folded)
    if _LEADING_ZERO_RE.search(folded) is None:  # most texts: nothing to strip, no call per syllable
        return found
    return [_number(s) for s in found]


def _number(syllable: str) -> str:
    # "mức độ 02" and "mức độ 2", "Chương 08" and "chương 8" are the same words
    return syllable.lstrip("0") or "0" if syllable.isdigit() else syllable


def chunks(text: str) -> list[list[str]]:
    """The folded syllables of a text in runs that punctuation does not break."""
    return [found for chunk in _PUNCTUATION_RE.split(text) if (found := syllables(chunk))]


def pairs(folded: list[str]) -> list[str]:
    """Adjacent syllable pairs joined with "_"."""
    return [f"{a}_{b}" for a, b in itertools.pairwise(folded)]


def text_pairs(text: str) -> list[str]:
    """Syllable pairs of a text, never across punctuation (a list item does not pair with the next)."""
    return [pair for chunk in chunks(text) for pair in pairs(chunk)]


# underthesea loads its segmentation model on first use and publishes it before it is loaded: a
# second thread segmenting meanwhile fails with "'NoneType' object has no attribute 'process'". The
# first call runs under this lock; once the model is in place, calls need no lock.
_FIRST_USE = threading.Lock()
_model_loaded = False


def _word_tokenize(text: str) -> list[str]:
    global _model_loaded
    if not _model_loaded:
        with _FIRST_USE:
            if not _model_loaded:
                segments: list[str] = word_tokenize(text)
                _model_loaded = True
                return segments
    return list(word_tokenize(text))


@lru_cache(maxsize=65536)
def _segment(text: str) -> tuple[str, ...]:
    return tuple(_word_tokenize(text))


def words(text: str) -> list[str]:
    """underthesea word segments, lowercased, syllables joined with "_", punctuation dropped."""
    return list(_words(text))


@lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    """``words`` of a text, kept: a catalogue repeats its lĩnh vực and results many times over."""
    normalized = normalize(text).lower()
    if not normalized:
        return ()
    result = []
    for segment in _segment(normalized):
        parts = [_number(part) for part in _SYLLABLE_RE.findall(segment)]
        if parts:
            result.append("_".join(parts))
    return tuple(result)
