"""Building the search index from the database, and finding the one in use.

Layout of the index directory::

    index_dir/CURRENT          {"build": "b-…", "version": …, "checksum": …, "analysis": …, "count": …}
    index_dir/b-<time>-<rand>/ one complete whoosh index per build

A build is written into a new directory and only then named in CURRENT, which is replaced with
``os.replace`` (atomic on POSIX), so a reader sees either the old index or the new one, never half of
one. Older builds are removed afterwards, keeping the previous one for readers still using it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import multiprocessing
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, STORED, Schema

from index.analysis import ANALYSIS_VERSION, fold, syllables, text_pairs, words
from index.fulltext import FullText
from index.levels import audience_of
from index.schema import DESCRIBING, LONG_TEXTS, VIEWS, field_name
from index.vocabulary import Vocabulary, load_vocabulary
from index.weights import TermWeights
from knowledge.catalogue import current_version
from knowledge.db import make_engine, make_sessionmaker
from knowledge.everyday import Everyday, load_everyday
from knowledge.models import Procedure

CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"

_FUNCTIONS: dict[str, Callable[[str], list[str]]] = {"w": words, "f": syllables, "p": text_pairs}


def build_schema() -> Schema:
    """What whoosh keeps of each procedure: what ranking reads of it, and the filter keys. The texts'
    terms are counted and weighed apart (index.fulltext, index.weights)."""
    fields: dict[str, Any] = {
        "code": ID(stored=True, unique=True),
        "name": STORED(),
        "keywords": STORED(),
        "field": STORED(),
        "field_key": ID(),
        "levels": KEYWORD(stored=True, commas=True),
        "in_force": ID(stored=True),
        # a province's own procedure (portal_type "specific"): "1", and the code of its province
        "specific": ID(stored=True),
        "province": ID(stored=True),
        "vocabulary": STORED(),  # the folded syllables of all indexed text, for the confidence check
        "audience": STORED(),  # whom it is for: "person", "organisation" or both (index.levels)
        # the name and keywords as indexed (abbreviations spelled out), for ranking
        "spelled_name": STORED(),
        "spelled_keywords": STORED(),
        "everyday": STORED(),  # the everyday names as a query is rewritten (index.vocabulary)
    }
    return Schema(**fields)


def field_key(field: str | None) -> str:
    """The filter key of a field (lĩnh vực): folded and single-spaced, so filters ignore accents."""
    return " ".join(fold(field or "").split())


@dataclass(frozen=True)
class Stamp:
    """What an index was built from; compared with the database to tell whether it is stale."""

    build: str
    version: str | None
    checksum: str | None
    analysis: str
    count: int

    def matches(self, version: str | None, checksum: str | None, analysis: str) -> bool:
        return (self.version, self.checksum, self.analysis) == (version, checksum, analysis)


def analysis_stamp(vocabulary: Vocabulary, everyday: Everyday) -> str:
    """What indexed text depends on besides the catalogue: the analysis, the abbreviations and the
    everyday names."""
    return f"{ANALYSIS_VERSION}:{vocabulary.spelling_digest}:{everyday.digest}"


def read_stamp(index_dir: Path) -> Stamp | None:
    """The stamp of the index in use, or None when there is none or it is unreadable."""
    try:
        data = json.loads((index_dir / CURRENT_FILE).read_text(encoding="utf-8"))
        return Stamp(**data)
    except (OSError, ValueError, TypeError):
        return None


def catalogue_stamp(session: Session) -> tuple[str | None, str | None]:
    version = current_version(session)
    return (version.version, version.checksum) if version else (None, None)


def text_analyzers(long: bool) -> dict[str, Callable[[str], list[str]]]:
    """Index field → analyzer of the views of the long texts (``long``) or of the short ones."""
    return {
        field_name(source, view): _FUNCTIONS[view]
        for source, views in VIEWS.items()
        if (source in LONG_TEXTS) == long
        for view in views
    }


def everyday_names(procedure: Procedure, vocabulary: Vocabulary, everyday: Everyday) -> list[str]:
    """A procedure's everyday names rewritten as a query is ("sổ đỏ" → the official words), so that
    the question that uses them and the name share their words."""
    rewritten = (vocabulary.rewrite(name).text for name in everyday.names.get(procedure.code, ()))
    return [name for name in rewritten if name]


def _texts(procedure: Procedure, vocabulary: Vocabulary, everyday: Everyday) -> dict[str, str]:
    """The text of each indexed source, abbreviations spelled out as queries spell them; list items
    are kept apart by " . " (no pair across them)."""
    texts = {
        "name": procedure.name,
        "keywords": " . ".join(str(k) for k in procedure.keywords or []),
        "everyday": " . ".join(everyday_names(procedure, vocabulary, everyday)),
        "events": " . ".join(everyday.events.get(procedure.code, ())),
        "field": procedure.field or "",
        "result": procedure.result or "",
        "documents": " . ".join(str(doc.get("name", "")) for doc in procedure.documents or []),
        "audiences": " . ".join(str(a) for a in procedure.audiences or []),
        "steps": " . ".join(str(step) for step in procedure.steps or []),
        "conditions": procedure.conditions or "",
        "agencies": " . ".join(
            text for text in (procedure.implementing_agency, procedure.competent_agency) if text
        ),
        "legal": " . ".join(str(law.get("title", "")) for law in procedure.legal_basis or []),
    }
    return {source: vocabulary.spell_out(text) for source, text in texts.items()}


def _document(
    procedure: Procedure, texts: dict[str, str], vocabulary: Vocabulary, everyday: Everyday
) -> dict[str, Any]:
    keywords = [str(k) for k in procedure.keywords or []]
    document: dict[str, Any] = {
        "code": procedure.code,
        "name": procedure.name,
        "keywords": keywords,
        "spelled_name": texts["name"],
        "spelled_keywords": [vocabulary.spell_out(keyword) for keyword in keywords],
        "everyday": everyday_names(procedure, vocabulary, everyday),
        "field": procedure.field,
        "field_key": field_key(procedure.field),
        "levels": ",".join(str(level) for level in procedure.levels or []),
        "in_force": "1" if procedure.in_force else "0",
        "specific": "1" if procedure.portal_type == "specific" else "0",
        "province": procedure.province or "",
        "vocabulary": " ".join(sorted({s for source in DESCRIBING for s in syllables(texts[source])})),
        "audience": " ".join(sorted(audience_of(str(a) for a in procedure.audiences or []))),
    }
    return document


@contextlib.contextmanager
def _exclusive(index_dir: Path) -> Iterator[None]:
    """One builder at a time per index directory, across processes."""
    with open(index_dir / LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_index(
    sessions: sessionmaker[Session],
    index_dir: Path,
    vocabulary: Vocabulary | None = None,
    *,
    everyday: Everyday | None = None,
    reuse: bool = False,
) -> Stamp:
    """Build a fresh index of every procedure and make it the current one; abbreviations are spelled
    out with ``vocabulary`` (the bundled one by default), as queries are, and the ``everyday`` names
    (the bundled ones by default) are indexed as a field of their own.

    With ``reuse``, an up-to-date index that another process built while this one waited for the
    lock is returned instead (processes sharing a data directory build once); without, the build is
    made anyway (the current one may be unreadable).
    """
    vocabulary = vocabulary or load_vocabulary()
    everyday = everyday or load_everyday()
    analysis = analysis_stamp(vocabulary, everyday)
    index_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(index_dir):
        with sessions() as session:
            version, checksum = catalogue_stamp(session)
            current = read_stamp(index_dir) if reuse else None
            if current is not None and current.matches(version, checksum, analysis):
                return current
            procedures = session.scalars(select(Procedure).order_by(Procedure.code)).all()
        build = f"b-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
        target = index_dir / build
        target.mkdir()
        try:
            ix = whoosh_index.create_in(str(target), build_schema())
            writer = ix.writer(limitmb=512)  # sort postings in memory, not in temp runs
            texts = [_texts(procedure, vocabulary, everyday) for procedure in procedures]
            for procedure, text in zip(procedures, texts, strict=True):
                writer.add_document(**_document(procedure, text, vocabulary, everyday))
            writer.commit()
            codes = [procedure.code for procedure in procedures]
            short = FullText.build(codes, texts, text_analyzers(long=False), whoosh_lengths=True)
            long = FullText.build(codes, texts, text_analyzers(long=True))
            TermWeights.compute(short, long).save(target)
            ix.close()
            stamp = Stamp(build, version, checksum, analysis, len(procedures))
            pending = index_dir / f"{CURRENT_FILE}.{build}"
            pending.write_text(json.dumps(asdict(stamp)), encoding="utf-8")
            os.replace(pending, index_dir / CURRENT_FILE)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        _remove_old_builds(index_dir, keep=build)
    return stamp


def build_index_apart(
    url: str,
    index_dir: Path,
    vocabulary: Vocabulary | None = None,
    *,
    everyday: Everyday | None = None,
    reuse: bool = False,
) -> Stamp:
    """``build_index`` in a process of its own, reading the database at ``url``.

    A rebuild beside live searches belongs there: in the searching process the build would share one
    GIL with them, each of its many file and database calls waiting a whole switch interval to get
    it back, so that it crawls while they slow down. Apart, it runs on another core, and its peak
    memory goes back to the system when it ends. Spawned, not forked: the caller has threads.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_build_at, url, index_dir, vocabulary, everyday, reuse).result()


def _build_at(
    url: str, index_dir: Path, vocabulary: Vocabulary | None, everyday: Everyday | None, reuse: bool
) -> Stamp:
    engine = make_engine(url)
    try:
        return build_index(make_sessionmaker(engine), index_dir, vocabulary, everyday=everyday, reuse=reuse)
    finally:
        engine.dispose()


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    builds = sorted(
        (p for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("b-") and p.name != keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in builds[:-1]:  # the newest of the others may still be open in another process
        shutil.rmtree(old, ignore_errors=True)
