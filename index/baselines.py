"""Baselines the search is measured against, in the same run: plain full-text engines over
procedure name and field, without Vietnamese analysis, dictionary or re-ranking.

- ``fts5``: SQLite FTS5 with ``unicode61 remove_diacritics 2`` (folds tones, but not đ);
- ``whoosh-standard``: whoosh's StandardAnalyzer (no accent folding) with BM25F.

Query words are OR-ed, as a search box would; each baseline returns ranked procedure codes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.query import Or, Term

from knowledge.models import Procedure

Ranker = Callable[[str, int], list[str]]
_WORD_RE = re.compile(r"\w+")


def _procedures(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(Procedure.code, Procedure.name, Procedure.field).where(Procedure.status == "in_force")
        )
        return [(code, name, field or "") for code, name, field in rows]


class Fts5Baseline:
    """SQLite FTS5 over name + field, in an in-memory database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(code UNINDEXED, name, field,"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        self._db.executemany("INSERT INTO docs VALUES (?, ?, ?)", _procedures(sessions))

    def __call__(self, query: str, top: int) -> list[str]:
        words = _WORD_RE.findall(query)
        if not words:
            return []
        match = " OR ".join('"' + word.replace('"', "") + '"' for word in words)
        rows = self._db.execute(
            "SELECT code FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, top)
        )
        return [code for (code,) in rows]


class WhooshStandardBaseline:
    """whoosh's StandardAnalyzer and BM25F over name + field, in memory."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._analyzer = StandardAnalyzer()
        schema = Schema(
            code=ID(stored=True), name=TEXT(analyzer=self._analyzer), field=TEXT(analyzer=self._analyzer)
        )
        self._index = RamStorage().create_index(schema)
        writer = self._index.writer()
        for code, name, field in _procedures(sessions):
            writer.add_document(code=code, name=name, field=field)
        writer.commit()

    def __call__(self, query: str, top: int) -> list[str]:
        terms = {token.text for token in self._analyzer(query)}
        if not terms:
            return []
        subqueries = [Term(f, t) for t in sorted(terms) for f in ("name", "field")]
        with self._index.searcher() as searcher:
            return [hit["code"] for hit in searcher.search(Or(subqueries), limit=top)]


def build_baselines(sessions: sessionmaker[Session]) -> dict[str, Ranker]:
    return {"fts5": Fts5Baseline(sessions), "whoosh-standard": WhooshStandardBaseline(sessions)}
