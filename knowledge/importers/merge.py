"""One record per procedure from several sources, field by field, the best source first.

Sources, best first: the portal's structured detail response (``opengov_detail``); the flattened
crawl of the portal's pages (``dvcqg``) or, for the defence codes, the Ministry of Defence's exports
(``bqp``); the portal's list (``opengov_list``); last, the levels read from the names of the list's
executing bodies (``opengov_list_agencies``). For each field the first source that states it wins,
and ``sources`` records which one did. Where the list and the crawl both state a name, a lĩnh vực or
a page plainly, the list's stands: it is the portal's current word (the crawl still says "Thừa phát
lại" where the portal renamed the profession "Thừa hành viên"), and its UUIDs are the pages' own.

Nothing is made up: a field no source states stays empty, and a record whose papers, time and fee
no source states is a ``summary`` (the card sends the reader to the portal for them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

DETAIL = "opengov_detail"  # the portal's full detail response (opengov_dvcqg_catalog/details)
CRAWL = "dvcqg"  # the crawl of the portal's pages (chatbot_tthc_dvcqg)
BQP = "bqp"  # the Ministry of Defence's exports (bqp_tthc_nhdandz)
LIST = "opengov_list"  # a line of the portal's public list (opengov_dvcqg_catalog/catalog.jsonl.gz)
AGENCIES = "opengov_list_agencies"  # read from the names of the list's executing bodies
SOURCE_ORDER = (DETAIL, CRAWL, BQP, LIST, AGENCIES)
# Fields where the portal's list outranks the crawl (see the module docstring).
LIST_FIRST = (DETAIL, LIST, CRAWL, BQP, AGENCIES)
FIELD_ORDER: dict[str, tuple[str, ...]] = {"name": LIST_FIRST, "field": LIST_FIRST, "portal_url": LIST_FIRST}
# The record's fields that sources state; the others are set by the import itself.
MERGED_FIELDS = (
    "name",
    "field",
    "levels",
    "type",
    "implementing_agency",
    "competent_agency",
    "ministry",
    "decision",
    "audiences",
    "channels",
    "online_level",
    "documents",
    "steps",
    "legal_basis",
    "conditions",
    "result",
    "receiving_address",
    "related",
    "keywords",
    "portal_url",
    "publisher",
    "portal_type",
    "province",
    "executing_agencies",
)


@dataclass
class Part:
    """What one source states about one procedure: record fields, empty ones meaning "not stated"."""

    source: str
    values: dict[str, Any]
    dated: date | None = None


def stated(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def is_summary(record: dict[str, Any]) -> bool:
    """Whether no source stated the papers, a time or a fee."""
    known = any(channel.get("time") or channel.get("fee") for channel in record.get("channels") or [])
    return not record.get("documents") and not known


def merge(code: str, parts: list[Part]) -> dict[str, Any]:
    """The record of ``code`` from ``parts``; its ``source`` and ``source_date`` are the best part's."""
    by_source = {part.source: part for part in parts}
    record: dict[str, Any] = {"code": code}
    sources: dict[str, str] = {}
    for name in MERGED_FIELDS:
        for source in FIELD_ORDER.get(name, SOURCE_ORDER):
            part = by_source.get(source)
            if part is not None and stated(part.values.get(name)):
                record[name] = part.values[name]
                sources[name] = source
                break
    # the checks a source's channel rows failed belong to the record whose channels it gave
    if "channels" in sources:
        record["flags"] = list(by_source[sources["channels"]].values.get("flags") or [])
    best = min(parts, key=lambda part: SOURCE_ORDER.index(part.source))
    record["source"] = best.source
    record["source_date"] = best.dated.isoformat() if best.dated else None
    record["sources"] = sources
    record["details"] = "summary" if is_summary(record) else "full"
    return record
