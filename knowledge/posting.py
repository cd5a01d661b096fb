"""The posting list (danh mục niêm yết) of a commune, and what changed since the last one produced.

Every commune posts the procedures its one-stop office receives or resolves, at the counter and on
its website, each linked to its page on the national portal; abolished procedures and those it does
not handle are taken down (TT 02/2017/TT-VPCP; see the research note on posting). The list is
``applicability.procedures_for_unit`` — the one answer to "what does this commune handle" — with,
for each procedure, what the catalogue publishes about it: code, name, field, per channel the
processing time and fee as published (never invented), how far it can be done online, and its
portal link.

Each list produced is kept per unit (``posting_lists``: the last one only), and the next one is
compared with it: procedures to post, to update (name, field, time, fee, online, link) and to take
down (abolished, no longer in the catalogue, or no longer handled by the commune), so the office
knows what to change on the wall and the website. The text shown for all this is the caller's
(``bot/posting_files.py``); nothing here is worded for people.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from knowledge.applicability import procedures_for_unit
from knowledge.catalogue import current_version
from knowledge.models import COMMUNAL_KINDS, Base, Procedure, Unit
from knowledge.portal import portal_link
from knowledge.units import current_successors, descendants, unit_label

CHANNEL_ORDER = ("truc_tiep", "truc_tuyen", "buu_chinh")


class Online(enum.StrEnum):
    """How far a procedure can be done online, as far as the catalogue tells."""

    FULL = "toan_trinh"  # online_level: fully online, submission to result
    PARTIAL = "mot_phan"  # online_level: partly online
    CHANNEL = "truc_tuyen"  # no online level recorded, but an online channel is published
    NONE = "khong"  # channels are published and none of them is online
    UNKNOWN = "chua_ro"  # nothing published about it


class Removal(enum.StrEnum):
    """Why a procedure posted last time must be taken down."""

    ABOLISHED = "abolished"  # the catalogue marks it abolished
    GONE = "gone"  # no longer in the catalogue at all
    NOT_HANDLED = "not_handled"  # in force, but the commune no longer handles it


@dataclass(frozen=True)
class Terms:
    """One way of submitting (truc_tiep, truc_tuyen, buu_chinh) with its processing times and fees as
    published: the distinct values of its entries, in order (several when they differ by case; None
    where an entry gives none)."""

    channel: str
    times: tuple[str | None, ...]
    fees: tuple[str | None, ...]


@dataclass(frozen=True)
class Item:
    """One procedure on a posting list, as it stands on the wall and the website."""

    code: str
    name: str
    field: str | None
    terms: tuple[Terms, ...]  # in CHANNEL_ORDER; empty when the catalogue publishes none
    online: Online
    url: str  # the procedure's portal page, or a portal search for it (knowledge.portal)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["terms"] = [asdict(t) for t in self.terms]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        return cls(
            code=data["code"],
            name=data["name"],
            field=data.get("field"),
            terms=tuple(
                Terms(t["channel"], tuple(t.get("times", ())), tuple(t.get("fees", ())))
                for t in data.get("terms", ())
            ),
            online=Online(data.get("online", Online.UNKNOWN)),
            url=data["url"],
        )


@dataclass(frozen=True)
class PostingList:
    unit_id: int
    unit_code: str
    unit_name: str  # "Xã Núi Cấm"
    unit_label: str  # "Xã Núi Cấm, tỉnh An Giang"
    produced_at: datetime  # local time (Vietnam), naive
    catalogue_version: str | None
    items: tuple[Item, ...]  # grouped by field (those without one last), then by name

    def groups(self) -> list[tuple[str | None, list[Item]]]:
        """The items by field, in list order; the field is None for those the catalogue gives none."""
        groups: list[tuple[str | None, list[Item]]] = []
        for item in self.items:
            if groups and groups[-1][0] == item.field:
                groups[-1][1].append(item)
            else:
                groups.append((item.field, [item]))
        return groups


@dataclass(frozen=True)
class Change:
    before: Item
    after: Item
    fields: tuple[str, ...]  # of CHANGE_FIELDS, in that order


@dataclass(frozen=True)
class TakenDown:
    item: Item  # as it was posted
    reason: Removal
    abolished_by: str | None = None


@dataclass(frozen=True)
class PostingDiff:
    previous_at: datetime  # when the list compared with was produced (local time)
    previous_version: str | None
    added: tuple[Item, ...]
    changed: tuple[Change, ...]
    removed: tuple[TakenDown, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


CHANGE_FIELDS = ("name", "field", "time", "fee", "online", "url")


class PostedList(Base):
    """The last posting list produced for a unit, to compare the next one with."""

    __tablename__ = "posting_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    produced_at: Mapped[datetime] = mapped_column(DateTime())  # local time (Vietnam), as printed on it
    produced_by: Mapped[str] = mapped_column(String(64))  # "telegram:123456" or "cli:username"
    catalogue_version: Mapped[str | None] = mapped_column(String(64))
    items: Mapped[list[Any]] = mapped_column(default=list)  # [Item.to_json()]


# --------------------------------------------------------------------------- the list


def _text(value: Any) -> str | None:
    """A published text, NFC, spaces collapsed; None when empty."""
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFC", value).split())
    return text or None


def _terms(channels: Iterable[Any]) -> tuple[Terms, ...]:
    times: dict[str, dict[str | None, None]] = {}
    fees: dict[str, dict[str | None, None]] = {}
    for channel in channels:
        if isinstance(channel, dict) and isinstance(channel.get("channel"), str):
            name = channel["channel"]
            times.setdefault(name, {})[_text(channel.get("time"))] = None
            fees.setdefault(name, {})[_text(channel.get("fee"))] = None
    rank = {name: index for index, name in enumerate(CHANNEL_ORDER)}
    return tuple(
        Terms(name, tuple(times[name]), tuple(fees[name]))
        for name in sorted(times, key=lambda name: rank.get(name, len(rank)))
    )


def _online(procedure: Procedure, terms: Sequence[Terms]) -> Online:
    if procedure.online_level in (Online.FULL, Online.PARTIAL):
        return Online(procedure.online_level)
    if any(t.channel == "truc_tuyen" for t in terms):
        return Online.CHANNEL
    return Online.NONE if terms else Online.UNKNOWN


def item_of(procedure: Procedure) -> Item:
    terms = _terms(procedure.channels or ())
    return Item(
        code=procedure.code,
        name=_text(procedure.name) or procedure.code,
        field=_text(procedure.field),
        terms=terms,
        online=_online(procedure, terms),
        url=portal_link(procedure),
    )


class NotACommune(ValueError):
    """The unit posts no list of its own: it is not a commune, ward or special zone of today."""


def posting_communes(session: Session, unit: Unit) -> list[Unit]:
    """The 2025 communes whose lists ``unit`` is about, by code: a current commune itself; those an
    old commune went into; the communes under a province or district (for an old one, those its
    communes went into)."""
    if unit.kind in COMMUNAL_KINDS:
        olds = [unit]
    elif unit.is_current:
        return [u for u in descendants(session, unit) if u.kind in COMMUNAL_KINDS]
    else:
        olds = [u for u in descendants(session, unit) if u.kind in COMMUNAL_KINDS]
    found = {c.id: c for old in olds for c in current_successors(session, old) if c.kind in COMMUNAL_KINDS}
    return sorted(found.values(), key=lambda u: u.code)


def build_list(session: Session, commune: Unit, produced_at: datetime) -> PostingList:
    """The posting list of a 2025 commune, ward or special zone, as of now."""
    if not commune.is_current or commune.kind not in COMMUNAL_KINDS:
        raise NotACommune(f"{unit_label(commune)} [{commune.code}] không phải xã, phường, đặc khu hiện nay")
    items = [item_of(p) for p in procedures_for_unit(session, commune)]
    # procedures_for_unit sorts by field, then name; those without a field go last on a wall.
    items.sort(key=lambda item: item.field is None)
    version = current_version(session)
    return PostingList(
        unit_id=commune.id,
        unit_code=commune.code,
        unit_name=commune.name,
        unit_label=unit_label(commune),
        produced_at=produced_at,
        catalogue_version=version.version if version is not None else None,
        items=tuple(items),
    )


# --------------------------------------------------------------------------- the difference


def _changed_fields(before: Item, after: Item) -> tuple[str, ...]:
    def times(item: Item) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
        return tuple((t.channel, t.times) for t in item.terms)

    def fees(item: Item) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
        return tuple((t.channel, t.fees) for t in item.terms)

    differs = {
        "name": before.name != after.name,
        "field": before.field != after.field,
        "time": times(before) != times(after),
        "fee": fees(before) != fees(after),
        "online": before.online != after.online,
        "url": before.url != after.url,
    }
    return tuple(name for name in CHANGE_FIELDS if differs[name])


def compare(session: Session, previous: PostedList, current: PostingList) -> PostingDiff:
    """What changed from the list produced before to ``current``, in the order of the lists."""
    before = [Item.from_json(data) for data in previous.items]
    before_by_code = {item.code: item for item in before}
    now_codes = {item.code for item in current.items}
    added = tuple(item for item in current.items if item.code not in before_by_code)
    changed = tuple(
        Change(before_by_code[item.code], item, fields)
        for item in current.items
        if item.code in before_by_code and (fields := _changed_fields(before_by_code[item.code], item))
    )
    gone = [item for item in before if item.code not in now_codes]
    rows = {
        p.code: p
        for p in session.scalars(select(Procedure).where(Procedure.code.in_([item.code for item in gone])))
    }
    removed: list[TakenDown] = []
    for item in gone:
        row = rows.get(item.code)
        if row is None:
            removed.append(TakenDown(item, Removal.GONE))
        elif not row.in_force:
            removed.append(TakenDown(item, Removal.ABOLISHED, _text(row.abolished_by)))
        else:
            removed.append(TakenDown(item, Removal.NOT_HANDLED))
    return PostingDiff(previous.produced_at, previous.catalogue_version, added, changed, tuple(removed))


def last_list(session: Session, unit_id: int) -> PostedList | None:
    return session.scalars(select(PostedList).where(PostedList.unit_id == unit_id)).first()


def diff_with_last(session: Session, current: PostingList) -> PostingDiff | None:
    """The difference from the list last produced for the unit; None for its first list."""
    previous = last_list(session, current.unit_id)
    return compare(session, previous, current) if previous is not None else None


def record(session: Session, posting: PostingList, produced_by: str) -> PostedList:
    """Keep ``posting`` as the unit's last list (replacing the one before), in the caller's transaction.

    Two producers racing for a unit's first list both insert; the loser updates the winner's row.
    """
    values = {
        "produced_at": posting.produced_at,
        "produced_by": produced_by,
        "catalogue_version": posting.catalogue_version,
        "items": [item.to_json() for item in posting.items],
    }
    row = last_list(session, posting.unit_id)
    if row is None:
        try:
            with session.begin_nested():
                row = PostedList(unit_id=posting.unit_id, **values)
                session.add(row)
            return row
        except IntegrityError:
            row = last_list(session, posting.unit_id)
            if row is None:
                raise
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return row
