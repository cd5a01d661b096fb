"""The search service the bot and the command line use: one index, many concurrent readers.

The index is read into memory when opened (the catalogue is a few thousand procedures), so a
rebuild may replace the files on disk while searches go on. Searches share one immutable snapshot,
its term weights computed when the index was built (index.weights).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage, copy_to_ram

from index.acronyms import Acronyms
from index.analysis import syllables
from index.building import (
    Stamp,
    analysis_stamp,
    build_index,
    build_index_apart,
    catalogue_stamp,
    field_key,
    read_stamp,
)
from index.decision import Answer, decide, evidence, worth_showing
from index.entries import Candidate, Entry
from index.model import Model, load_model
from index.query import COMMON_MIN_DOCS, COMMON_SHARE, Plan, plan_query
from index.ranking import leading, rank, suggest
from index.schema import FIELD_GROUPS, GROUP_OF
from index.vocabulary import Vocabulary, load_vocabulary
from index.weights import TermWeights
from knowledge.applicability import procedures_for_unit
from knowledge.everyday import Everyday, added_phrases, load_everyday
from knowledge.models import Unit
from knowledge.units import current_successors

log = logging.getLogger(__name__)

CANDIDATES = 60  # BM25F hits re-ranked per query
# The folded syllables typo correction may correct towards: those of the texts that say what a
# procedure is (steps, conditions and the law hold too many odd words).
LEXICON_FIELDS = ("name_f", "keywords_f", "field_f", "result_f", "documents_f")


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    field: str | None
    score: float
    handled_by_unit: bool | None  # done in the commune (one-stop or its police…); None: no unit given


@dataclass
class SearchResult:
    hits: list[Hit]  # none when the answer is Answer.NONE
    answer: Answer  # how the bot answers: one card, a list, or "không tìm thấy" (index.decision)
    suggestions: list[str] = field(default_factory=list)  # "did you mean", when nothing is found
    query: str = ""


class IndexUnavailable(RuntimeError):
    """The index could not be opened even after a rebuild."""


class _Snapshot:
    """One opened build: what ranking needs about each document, and every term's BM25F weights.

    Everything is read into memory when the build is opened (the catalogue is a few thousand
    procedures), so a rebuild may replace the files on disk while searches go on, and searches share
    it without locks: nothing in it changes but the caches of filter masks and offered entries,
    whose entries are computed from immutable data and replaced whole.
    """

    def __init__(self, stamp: Stamp, index_dir: Path, vocabulary: Vocabulary) -> None:
        folder = index_dir / stamp.build
        self.stamp = stamp
        # read from a copy in memory: whoosh leaves a file open when it fails on a corrupt one
        with whoosh_index.FileIndex(copy_to_ram(FileStorage(str(folder)))).reader() as reader:
            stored = list(reader.all_stored_fields())
        if len(stored) != stamp.count:
            raise ValueError(f"index holds {len(stored)} documents, stamp says {stamp.count}")
        self.weights = TermWeights.load(folder)
        if self.weights.codes != [str(doc["code"]) for doc in stored]:
            raise ValueError("term weights and whoosh index hold different procedures")
        self._masks: dict[tuple[str | None, str | None, frozenset[str]], NDArray[np.bool_]] = {}
        self._offered: dict[frozenset[str], list[Entry]] = {}
        lexicon: set[str] = set()
        for fieldname in LEXICON_FIELDS:
            lexicon.update(self.weights.terms(fieldname))
        limit = max(COMMON_SHARE * len(stored), COMMON_MIN_DOCS)
        self.common = frozenset(
            (fieldname, term)
            for fieldname in self.weights.fields
            for term in self.weights.terms(fieldname)
            if self.weights.doc_frequency(fieldname, term) > limit
        )
        unasked = vocabulary.filler_words
        self.entries = [Entry.from_stored(doc, unasked) for doc in stored]
        # in how many procedures each syllable occurs: how rare it is (index.decision)
        self.frequency = Counter(s for entry in self.entries for s in entry.all_syllables)
        self.by_code = {entry.code: entry for entry in self.entries}
        self.acronyms = Acronyms(entry.name for entry in self.entries)
        self.lexicon = frozenset(lexicon)
        self.lexicon_list = sorted(lexicon)
        self.in_force = frozenset(i for i, doc in enumerate(stored) if doc.get("in_force") == "1")
        # A province's own procedures, offered only to the users of that province.
        self.specific = frozenset(i for i, doc in enumerate(stored) if doc.get("specific") == "1")
        self.by_province: dict[str, frozenset[int]] = {}
        for number in sorted(self.specific):
            province = str(stored[number].get("province") or "")
            self.by_province[province] = self.by_province.get(province, frozenset()) | {number}
        self.by_level: dict[str, frozenset[int]] = {}
        self.by_field: dict[str, frozenset[int]] = {}
        for number, entry in enumerate(self.entries):
            for level in entry.levels:
                self.by_level[level] = self.by_level.get(level, frozenset()) | {number}
            key = field_key(entry.field)
            self.by_field[key] = self.by_field.get(key, frozenset()) | {number}

    def bm25(
        self, terms: list[tuple[str, str, float]], allowed: NDArray[np.bool_]
    ) -> list[tuple[int, float, tuple[float, ...]]]:
        """BM25F scores of the allowed documents matching any term, best first (ties: lower number),
        each with its parts from each group of fields (index.schema.FIELD_GROUPS).

        A term's postings are added in one vectorised step; per document the additions happen in
        the order of the terms, as a loop over postings would do them.
        """
        parts = [np.zeros(len(self.entries)) for _ in FIELD_GROUPS]
        for fieldname, term, boost in terms:
            docs, weights = self.weights.get(fieldname, term)
            if docs.size:
                parts[GROUP_OF[fieldname.rpartition("_")[0]]][docs] += boost * weights
        scores = sum(parts[1:], parts[0])
        # every BM25F weight is positive (whoosh's idf is at least 1): a document scores iff it matched
        found = np.flatnonzero((scores > 0) & allowed)
        best = found[np.lexsort((found, -scores[found]))[:CANDIDATES]]
        by_group = np.stack([part[best] for part in parts], axis=1).tolist()
        return [
            (number, float(scores[number]), tuple(row))
            for number, row in zip(best.tolist(), by_group, strict=True)
        ]

    def offered(self, provinces: frozenset[str]) -> list[Entry]:
        """The procedures in force offered to the users of ``provinces`` (see ``allowed``); cached."""
        offered = self._offered.get(provinces)
        if offered is None:
            offered = [self.entries[number] for number in np.flatnonzero(self.allowed(None, None, provinces))]
            self._offered[provinces] = offered
        return offered

    def allowed(
        self, level: str | None, field: str | None, provinces: frozenset[str] = frozenset()
    ) -> NDArray[np.bool_]:
        """A mask of the documents in force that match the level and field filters, leaving out the
        province-specific procedures of every province but ``provinces`` (the user's; none known:
        all of them). Cached."""
        key = (str(level) if level else None, field_key(field) if field else None, provinces)
        mask = self._masks.get(key)
        if mask is None:
            allowed = self.in_force - self.specific
            for province in provinces:
                allowed |= self.by_province.get(province, frozenset()) & self.in_force
            if key[0]:
                allowed = allowed & self.by_level.get(key[0], frozenset())
            if key[1]:
                allowed = allowed & self.by_field.get(key[1], frozenset())
            mask = np.zeros(len(self.entries), dtype=bool)
            mask[sorted(allowed)] = True
            self._masks[key] = mask
        return mask


class SearchService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        index_dir: Path,
        vocabulary: Vocabulary | None = None,
        everyday: Everyday | None = None,
        model: Model | None = None,
    ) -> None:
        self.sessions = sessions
        self.index_dir = Path(index_dir)
        self.vocabulary = vocabulary or load_vocabulary()
        self.everyday = everyday or load_everyday()  # the base, to which the added names are joined
        self.model = model or load_model()
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()
        self._unit_codes: dict[tuple[str, int], frozenset[str] | None] = {}
        self._unit_provinces: dict[int, frozenset[str]] = {}
        self._codes_lock = threading.Lock()

    # -- index lifecycle -------------------------------------------------------------------------

    def ensure_index(self) -> None:
        """Open the current index, building it first when it is missing, stale or corrupt. Stale: the
        catalogue, or the everyday names (``self.everyday`` and those admins added in the database,
        knowledge.everyday.added_phrases), are not those it was built from."""
        with self._lock:
            with self.sessions() as session:
                version, checksum = catalogue_stamp(session)
                everyday = self.everyday.with_phrases(added_phrases(session))
            analysis = analysis_stamp(self.vocabulary, everyday)
            if self._snapshot and self._snapshot.stamp.matches(version, checksum, analysis):
                return
            stamp = read_stamp(self.index_dir)
            unreadable = False
            if stamp is not None and stamp.matches(version, checksum, analysis):
                try:
                    self._install(_Snapshot(stamp, self.index_dir, self.vocabulary))
                    return
                except Exception:  # any failure to read the files means a corrupt index
                    log.warning("search index %s unreadable; rebuilding", stamp.build, exc_info=True)
                    unreadable = True
            stamp = self._build(everyday, reuse=not unreadable)
            try:
                self._install(_Snapshot(stamp, self.index_dir, self.vocabulary))
            except Exception as exc:
                raise IndexUnavailable(f"cannot open the index just built: {exc}") from exc

    def _build(self, everyday: Everyday, *, reuse: bool) -> Stamp:
        """A new build with ``everyday`` names (or, with ``reuse``, one another process just made): in
        this process when nothing is served yet (the quickest), else in a process of its own, so that
        searches on the current snapshot and the build do not starve each other (see
        ``build_index_apart``). A database only this process can open is built here."""
        url = _database_url(self.sessions)
        if self._snapshot is None or url is None:
            return build_index(self.sessions, self.index_dir, self.vocabulary, everyday=everyday, reuse=reuse)
        return build_index_apart(url, self.index_dir, self.vocabulary, everyday=everyday, reuse=reuse)

    def refresh_if_stale(self) -> bool:
        """Rebuild or reopen when the loaded catalogue or the added everyday names changed; True when
        a new index is in use."""
        before = self._snapshot
        self.ensure_index()
        return self._snapshot is not before

    def _install(self, snapshot: _Snapshot) -> None:
        self._snapshot = snapshot
        self._unit_codes = {}

    def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            self.ensure_index()
            snapshot = self._snapshot
            assert snapshot is not None
        return snapshot

    # -- searching --------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        unit: Unit | None = None,
        top: int = 5,
        level: str | None = None,
        field: str | None = None,
    ) -> SearchResult:
        """Ranked procedures for a free-text query, and how the bot answers it; never raises on odd
        input."""
        snapshot = self._current()
        plan = self.plan(query)
        handled = self._codes_for(snapshot, unit)
        top = max(top, 0)

        coded = [snapshot.by_code[code] for code in dict.fromkeys(plan.codes) if code in snapshot.by_code]
        if coded and not plan.content:
            hits = [self._hit(entry, 1.0, handled) for entry in coded][:top]
            return SearchResult(hits, Answer.CARD if len(coded) == 1 else Answer.LIST, [], query)

        provinces = self._provinces_for(unit)
        ranked = rank(self.candidates(plan, level, field, provinces), plan, handled, model=self.model)
        if coded:
            answer = Answer.LIST
        elif not ranked:
            answer = Answer.NONE
        else:
            broad = _names_a_field(plan.content, ranked[0].entry)
            answer = decide(self.evidence(plan, ranked), self.model, broad=broad)
        if answer is Answer.NONE:
            return SearchResult([], answer, suggest(plan, snapshot.offered(provinces)), query)
        head = leading(ranked)
        if answer is Answer.LIST and not coded and not broad:
            # a list shows what may answer: each procedure after the first judged as if it were first
            head = [
                head[0],
                *(
                    c
                    for i, c in enumerate(head[1:top], 1)
                    if worth_showing(self.evidence(plan, ranked[i:]), self.model)
                ),
            ]
        hits = [self._hit(entry, 1.0, handled) for entry in coded][:top]
        rest = (c for c in head if c.entry.code not in plan.codes)
        hits += [self._hit(c.entry, c.score, handled) for c in itertools.islice(rest, top - len(hits))]
        return SearchResult(hits, answer, [], query)

    def plan(self, query: str) -> Plan:
        """What ``query`` asks for, read against the index in use."""
        snapshot = self._current()
        return plan_query(
            query,
            self.vocabulary,
            snapshot.lexicon,
            snapshot.lexicon_list,
            snapshot.common,
            snapshot.acronyms,
        )

    def evidence(self, plan: Plan, ranked: list[Candidate]) -> tuple[float, ...]:
        """What tells whether the ``ranked`` candidates of a plan answer it (index.decision)."""
        snapshot = self._current()
        corrected = frozenset(plan.corrections.values())
        return evidence(plan.content, corrected, ranked, snapshot.frequency, len(snapshot.entries))

    def offered(self, provinces: frozenset[str] = frozenset()) -> list[Entry]:
        """The procedures in force offered to the users of ``provinces`` (none: the national ones)."""
        return self._current().offered(provinces)

    def candidates(
        self,
        plan: Plan,
        level: str | None = None,
        field: str | None = None,
        provinces: frozenset[str] = frozenset(),
    ) -> list[Candidate]:
        """The BM25F candidates of a plan, among the procedures offered in ``provinces`` (see
        ``_Snapshot.allowed``), before ranking."""
        snapshot = self._current()
        allowed = snapshot.allowed(level, field, provinces)
        found = snapshot.bm25(plan.terms, allowed)
        return [Candidate(snapshot.entries[docnum], score, parts) for docnum, score, parts in found]

    def _hit(self, entry: Entry, score: float, handled: frozenset[str] | None) -> Hit:
        return Hit(
            entry.code,
            entry.name,
            entry.field,
            round(score, 4),
            None if handled is None else entry.code in handled,
        )

    def _codes_for(self, snapshot: _Snapshot, unit: Unit | None) -> frozenset[str] | None:
        """The codes of the procedures a commune handles (cached per unit and index build);
        None when no unit is given or it is not a commune (nothing to rank by).

        Computed once per unit even when many threads ask at once: working it out takes a few
        hundred milliseconds, and a burst of users of a commune would otherwise all pay it."""
        if unit is None:
            return None
        key = (snapshot.stamp.build, unit.id)
        if key in self._unit_codes:
            return self._unit_codes[key]
        with self._codes_lock:
            if key not in self._unit_codes:
                self._unit_codes[key] = self._handled_codes(unit.id)
        return self._unit_codes[key]

    def _provinces_for(self, unit: Unit | None) -> frozenset[str]:
        """The 2025 provinces of a unit (an old one's successors may lie in several), whose own
        procedures it is offered; none without a unit. Cached per unit: units do not change."""
        if unit is None:
            return frozenset()
        provinces = self._unit_provinces.get(unit.id)
        if provinces is None:
            with self.sessions() as session:
                attached = session.get(Unit, unit.id)
                successors = current_successors(session, attached) if attached is not None else []
                provinces = frozenset(successor.province_code for successor in successors)
            self._unit_provinces[unit.id] = provinces
        return provinces

    def _handled_codes(self, unit_id: int) -> frozenset[str] | None:
        with self.sessions() as session:
            attached = session.get(Unit, unit_id)
            if attached is None:
                return None
            try:
                return frozenset(p.code for p in procedures_for_unit(session, attached, include_local=True))
            except ValueError:  # not a commune
                return None


def _database_url(sessions: sessionmaker[Session]) -> str | None:
    """The URL another process opens the sessions' database with; None for an in-memory one."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine) or bind.url.database in (None, "", ":memory:"):
        return None
    return bind.url.render_as_string(hide_password=False)


def _names_a_field(content: list[str], entry: Entry) -> bool:
    """Whether the query's content syllables are all in the name of ``entry``'s field."""
    return bool(content) and set(content) <= set(syllables(entry.field or ""))
