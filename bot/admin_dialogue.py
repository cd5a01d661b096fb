"""The admins' side of the bot, independent of the channel (Telegram or the console).

``AdminDialogue`` takes what an admin did — a command with its words, a catalogue file or a dossier
export, the button under a reload's difference — and returns an ``AdminOutcome``: what to show
(replies, and files: the exported catalogue, an import's refused rows) and what the channel must do
besides, which only it can: follow a changed catalogue in its own search index, and publish or
withdraw the officials' command menu in a user's Telegram chat. The Telegram handlers
(``bot.handlers.admin``, ``bot.handlers.admindata``) and the console (``bot.console``) only carry
these across. Every call does blocking work (the database, a file), so it runs in a worker thread.
Whether the user is an admin is the channel's check (``is_admin``).

A reload shows the difference and waits for the "apply" button. The file is kept in the database
(``knowledge.reload.stage_reload``), so the button works whichever bot process receives it. The
tables (``/lich``, ``/coquan``) and imports are done by the same functions as ``tthc-bot calendar``,
``tthc-bot agency`` and ``tthc-bot import-dossiers``.
"""

from __future__ import annotations

import gzip
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import texts
from bot.dialogue import Reply
from bot.keyboards import Button, whole_number
from bot.official_dialogue import Attachment, Out
from bot.render import Doc, b, fill
from knowledge.audit import AuditAction, telegram_actor, write_audit
from knowledge.calendarstore import (
    CalendarError,
    apply_change,
    calendar_for,
    describe,
    parse_change,
    stored_changes,
    withdraw_change,
)
from knowledge.catalogue import CatalogueError, read_catalogue_file, serialize_catalogue
from knowledge.compliance import roles
from knowledge.compliance.agencies import add_agency, agencies, remove_agency
from knowledge.compliance.dossiers import DossierFileError, ImportResult, import_dossiers
from knowledge.compliance.profile import ProfileError
from knowledge.everyday import MAX_PHRASE_LENGTH, PhraseRefused, add_phrase, remove_phrase
from knowledge.models import Era, Procedure, Unit
from knowledge.reload import (
    CatalogueDiff,
    ProcedureChange,
    ReloadError,
    confirm_reload,
    discard_reload,
    export_catalogue,
    rollback,
    stage_reload,
)
from knowledge.store import Store
from knowledge.units import get_unit, unit_label
from knowledge.usage import MAX_STATS_DAYS, usage_stats

COMMANDS = (
    "reload",
    "rollback",
    "export",
    "stats",
    "grant",
    "revoke",
    "officials",
    "invite",
    "lich",
    "coquan",
    "themtu",
    "botu",
)
# registered by bot/handlers/admindata.py beside its file imports; the others by bot/handlers/admin.py
ADMINDATA_COMMANDS = ("lich", "coquan")
CALLBACK_PREFIX = "adm"
CALLBACK_PATTERN = rf"^{CALLBACK_PREFIX}:(ok|no):\d+$"
DIFF_LIST_LIMIT = 15  # procedures listed per group; the counts are always complete
INVITE_MAX_HOURS = 30 * 24
USER_ID_DIGITS = 16  # Telegram user ids fit in 52 bits
VIETNAM = timedelta(hours=7)  # invites store naive UTC; admins read Vietnam time
ERRORS_SHOWN = 10  # refused rows of a dossier import listed in the reply; all are in its CSV


@dataclass
class AdminOutcome:
    """What an admin's action gives: what to show, and what the channel must do besides."""

    outs: list[Out]
    catalogue_changed: bool = False  # follow the new catalogue (this process's index) at once
    publish_menu_to: int | None = None  # a user who became an official: show him their commands
    withdraw_menu_from: int | None = None  # a user who is an official no more


def _say(doc: Doc, buttons: list[list[Button]] | None = None) -> AdminOutcome:
    return AdminOutcome([Reply(doc, buttons or [])])


def _phrase_refusal(exc: PhraseRefused) -> Doc:
    template = texts.ADMIN_PHRASE_REFUSED[exc.reason]
    return Doc().add(fill(template, code=exc.code, phrase=exc.phrase, limit=str(MAX_PHRASE_LENGTH)))


def _rejected(reason: str) -> AdminOutcome:
    return _say(Doc().add(b(texts.ADMIN_FILE_REJECTED)).add(reason))


def _unit_by_code(session: Session, code: str) -> Unit | None:
    """A current (2025) unit by its code."""
    return session.scalars(select(Unit).where(Unit.era == Era.TWO_TIER, Unit.code == code)).first()


def _import_reply(result: ImportResult) -> Doc:
    doc = Doc().add(
        texts.ADMIN_IMPORT_DONE.format(
            count=result.imported, created=result.created, updated=result.updated, layout=result.layout
        )
    )
    if result.missing:
        doc.add(texts.ADMIN_IMPORT_MISSING.format(fields=", ".join(result.missing)))
    if result.errors:
        doc.blank().add(b(texts.ADMIN_IMPORT_ERRORS.format(count=len(result.errors))))
        for error in result.errors[:ERRORS_SHOWN]:
            doc.add(fill(texts.ADMIN_IMPORT_ERROR, row=str(error.row), reason=error.reason))
    return doc


def diff_doc(diff: CatalogueDiff, source: str, version: str, count: int) -> Doc:
    doc = Doc().add(fill(texts.ADMIN_DIFF_HEADER, source=source, version=b(version), count=str(count)))
    counts = {key: str(value) for key, value in diff.counts().items()}
    doc.add(fill(texts.ADMIN_DIFF_COUNTS, **counts))
    for key, title in texts.ADMIN_DIFF_GROUPS.items():
        changes: list[ProcedureChange] = getattr(diff, key)
        if not changes:
            continue
        doc.blank().add(b(title))
        for change in changes[:DIFF_LIST_LIMIT]:
            line = fill(texts.ADMIN_DIFF_ITEM, code=change.code, name=change.name)
            if key == "changed":
                line += fill(texts.ADMIN_DIFF_FIELDS, fields=", ".join(change.fields))
            doc.add(line)
        if len(changes) > DIFF_LIST_LIMIT:
            doc.add(fill(texts.ADMIN_DIFF_MORE, count=str(len(changes) - DIFF_LIST_LIMIT)))
    return doc


class AdminDialogue:
    """One admin's commands, files and buttons; ``actor`` names him in the audit log."""

    def __init__(self, store: Store, actor: Callable[[int], str] = telegram_actor) -> None:
        self.store = store
        self.sessions = store.sessions
        self.actor = actor

    def is_admin(self, user_id: int) -> bool:
        return roles.is_admin(user_id, self.store.settings)

    def command(
        self, admin_id: int, name: str, args: list[str], bot_username: str = "", today: date | None = None
    ) -> AdminOutcome:
        """``/name args…``; ``bot_username`` (Telegram's) makes the invite links of ``/invite``;
        ``today`` is the year ``/lich`` shows by default."""
        if name == "reload":
            return self.reload_path(admin_id, args)
        if name == "rollback":
            return self.rollback(admin_id)
        if name == "export":
            return self.export()
        if name == "stats":
            return self.stats(args)
        if name == "grant":
            return self.grant(admin_id, args)
        if name == "revoke":
            return self.revoke(admin_id, args)
        if name == "officials":
            return self.officials()
        if name == "invite":
            return self.invite(admin_id, args, bot_username)
        if name == "lich":
            return self.calendar(admin_id, args, today or date.today())
        if name == "coquan":
            return self.agency(admin_id, args)
        if name == "themtu":
            return self.phrase_add(admin_id, args)
        if name == "botu":
            return self.phrase_remove(args)
        raise ValueError(f"not an admin command: {name}")

    # --- the catalogue: /reload, its button, /rollback, /export ------------------------------

    def reload_path(self, admin_id: int, args: list[str]) -> AdminOutcome:
        """``/reload <path on the server>``; without a path, how to send the file."""
        if not args:
            return _say(Doc().add(texts.ADMIN_RELOAD_HOW))
        path = Path(" ".join(args)).expanduser()
        try:
            raw = read_catalogue_file(path)
        except CatalogueError as exc:
            return _rejected(str(exc))
        return self.stage(admin_id, raw, str(path))

    def stage(self, admin_id: int, raw: bytes, source: str) -> AdminOutcome:
        """A catalogue file received: its difference from the loaded one, to apply or cancel."""
        try:
            pending_id, plan = stage_reload(self.sessions, raw, source, self.actor(admin_id))
        except CatalogueError as exc:
            return _rejected(str(exc))
        doc = diff_doc(plan.diff, source, plan.catalogue.version, len(plan.catalogue.procedures))
        if not plan.diff.has_changes:
            discard_reload(self.sessions, pending_id)
            return _say(doc.blank().add(texts.ADMIN_NO_CHANGE))
        buttons = [
            [
                Button(texts.ADMIN_BUTTON_APPLY, data=f"{CALLBACK_PREFIX}:ok:{pending_id}"),
                Button(texts.ADMIN_BUTTON_CANCEL, data=f"{CALLBACK_PREFIX}:no:{pending_id}"),
            ]
        ]
        return _say(doc.blank().add(texts.ADMIN_CONFIRM), buttons)

    def button(self, admin_id: int, data: str) -> AdminOutcome:
        """The apply or cancel button under a reload's difference (``CALLBACK_PATTERN``)."""
        _, choice, pending = data.split(":")
        if choice == "no":
            discard_reload(self.sessions, int(pending))
            return _say(Doc().add(texts.ADMIN_CANCELLED))
        try:
            result = confirm_reload(self.sessions, int(pending), self.actor(admin_id))
        except ReloadError as exc:
            return _say(Doc().add(fill(texts.ADMIN_NOT_APPLIED, reason=str(exc))))
        outcome = _say(Doc().add(fill(texts.ADMIN_APPLIED, version=str(result.version.id))))
        outcome.catalogue_changed = True
        return outcome

    def rollback(self, admin_id: int) -> AdminOutcome:
        try:
            result = rollback(self.sessions, self.actor(admin_id))
        except ReloadError as exc:
            return _say(Doc().add(fill(texts.ADMIN_ROLLBACK_FAILED, reason=str(exc))))
        restored = str(result.audit.detail["restores"])
        doc = Doc().add(fill(texts.ADMIN_ROLLED_BACK, restored=restored, version=str(result.version.id)))
        counts = {key: str(value) for key, value in result.diff.counts().items()}
        outcome = _say(doc.add(fill(texts.ADMIN_DIFF_COUNTS, **counts)))
        outcome.catalogue_changed = True
        return outcome

    def export(self) -> AdminOutcome:
        """The loaded catalogue as a .json.gz, the file ``/reload`` takes back."""
        with self.sessions() as session:
            catalogue = export_catalogue(session)
        if not catalogue.procedures:
            return _say(Doc().add(texts.ADMIN_EXPORT_EMPTY))
        label = re.sub(r"[^0-9A-Za-z._-]+", "-", catalogue.version)[:40].strip("-.") or "export"
        caption = Doc().add(
            fill(
                texts.ADMIN_EXPORT_CAPTION, version=b(catalogue.version), count=str(len(catalogue.procedures))
            )
        )
        raw = gzip.compress(serialize_catalogue(catalogue))
        return AdminOutcome([Attachment(raw, f"danh-muc-{label}.json.gz", caption)])

    # --- usage and officials -------------------------------------------------------------------

    def stats(self, args: list[str]) -> AdminOutcome:
        days = whole_number(args[0], 4) if len(args) == 1 else 7 if not args else None
        if days is None or not 1 <= days <= MAX_STATS_DAYS:
            return _say(Doc().add(texts.ADMIN_STATS_HOW))
        with self.sessions() as session:
            stats = usage_stats(session, days=days)
        doc = Doc().add(
            fill(
                texts.ADMIN_STATS_HEADER,
                first=f"{stats.first_day:%d/%m/%Y}",
                last=f"{stats.last_day:%d/%m/%Y}",
                total=b(str(stats.total)),
                share=b(f"{stats.unanswered_share:.0%}"),
            )
        )
        for day in stats.days:
            doc.add(
                fill(
                    texts.ADMIN_STATS_DAY,
                    day=f"{day.day:%d/%m}",
                    queries=str(day.queries),
                    unanswered=str(day.unanswered),
                )
            )
        if stats.top_unanswered:
            doc.blank().add(b(texts.ADMIN_STATS_TOP))
            for query, times in stats.top_unanswered:
                doc.add(fill(texts.ADMIN_STATS_TOP_ITEM, times=str(times), query=query))
            doc.blank().add(texts.ADMIN_STATS_PHRASE_HINT)
        return _say(doc)

    # --- everyday names: /themtu, /botu --------------------------------------------------------

    def phrase_add(self, admin_id: int, args: list[str]) -> AdminOutcome:
        """``/themtu <procedure code> <everyday name>``: the search learns the name at its next
        refresh (every process's version watcher notices the change, knowledge.everyday)."""
        if len(args) < 2:
            return _say(Doc().add(texts.ADMIN_PHRASE_ADD_HOW))
        try:
            with self.sessions.begin() as session:
                row = add_phrase(session, args[0], " ".join(args[1:]), admin_id)
                name = session.scalar(select(Procedure.name).where(Procedure.code == row.procedure_code))
                phrase, code = row.phrase, row.procedure_code
        except PhraseRefused as exc:
            return _say(_phrase_refusal(exc))
        return _say(Doc().add(fill(texts.ADMIN_PHRASE_ADDED, phrase=b(phrase), code=code, name=name or "")))

    def phrase_remove(self, args: list[str]) -> AdminOutcome:
        """``/botu <procedure code> <everyday name>``: take back a name an admin added."""
        if len(args) < 2:
            return _say(Doc().add(texts.ADMIN_PHRASE_REMOVE_HOW))
        try:
            with self.sessions.begin() as session:
                removed = remove_phrase(session, args[0], " ".join(args[1:]))
        except PhraseRefused as exc:
            return _say(_phrase_refusal(exc))
        return _say(Doc().add(fill(texts.ADMIN_PHRASE_REMOVED, phrase=b(removed), code=args[0])))

    def grant(self, admin_id: int, args: list[str]) -> AdminOutcome:
        """``/grant <user id> <unit code>``: the user becomes the unit's official."""
        user_id = whole_number(args[0], USER_ID_DIGITS) if len(args) == 2 else None
        if user_id is None:
            return _say(Doc().add(texts.ADMIN_GRANT_HOW))
        code = args[1]
        with self.sessions.begin() as session:
            unit = _unit_by_code(session, code)
            if unit is None:
                return _say(Doc().add(fill(texts.ADMIN_UNIT_UNKNOWN, code=code)))
            roles.grant(session, user_id, unit, granted_by=admin_id)
            write_audit(session, self.actor(admin_id), AuditAction.GRANT, source=f"{user_id}@{unit.code}")
            unit_name = unit.name
        outcome = _say(Doc().add(fill(texts.ADMIN_GRANTED, user=str(user_id), unit=b(unit_name))))
        outcome.publish_menu_to = user_id  # a private chat's id is the user's id
        return outcome

    def invite(self, admin_id: int, args: list[str], bot_username: str) -> AdminOutcome:
        """``/invite <unit code> [hours]``: a one-time deep link that makes its opener the unit's official."""
        default_hours = roles.DEFAULT_INVITE_TTL.total_seconds() / 3600
        try:
            hours = float(args[1]) if len(args) == 2 else default_hours
        except ValueError:
            hours = 0
        if len(args) not in (1, 2) or not 0 < hours <= INVITE_MAX_HOURS:
            return _say(Doc().add(fill(texts.ADMIN_INVITE_HOW, hours=f"{default_hours:g}")))
        code = args[0]
        with self.sessions.begin() as session:
            unit = get_unit(session, code)
            if unit is None:
                return _say(Doc().add(fill(texts.ADMIN_UNIT_UNKNOWN, code=code)))
            invite = roles.create_invite(
                session, unit, admin_id, ttl=timedelta(hours=hours), settings=self.store.settings
            )
            write_audit(session, self.actor(admin_id), AuditAction.INVITE, source=f"invite@{unit.code}")
            expires = (invite.expires_at + VIETNAM).strftime("%H:%M %d/%m/%Y")
            label, link = unit_label(unit), roles.invite_link(bot_username, invite)
        return _say(Doc().add(fill(texts.ADMIN_INVITE_CREATED, unit=b(label), expires=expires)).add(link))

    def revoke(self, admin_id: int, args: list[str]) -> AdminOutcome:
        """``/revoke <user id> [unit code]``: of one unit, or of every unit."""
        user_id = whole_number(args[0], USER_ID_DIGITS) if len(args) in (1, 2) else None
        if user_id is None:
            return _say(Doc().add(texts.ADMIN_REVOKE_HOW))
        code = args[1] if len(args) == 2 else None
        with self.sessions.begin() as session:
            unit = _unit_by_code(session, code) if code is not None else None
            if code is not None and unit is None:
                return _say(Doc().add(fill(texts.ADMIN_UNIT_UNKNOWN, code=code)))
            removed = roles.revoke(session, user_id, unit)
            write_audit(
                session,
                self.actor(admin_id),
                AuditAction.REVOKE,
                source=f"{user_id}@{code or '*'}",
                detail={"removed": removed},
            )
            still_official = bool(roles.official_units(session, user_id))
        outcome = _say(Doc().add(fill(texts.ADMIN_REVOKED, count=str(removed), user=str(user_id))))
        if removed and not still_official:
            outcome.withdraw_menu_from = user_id
        return outcome

    def officials(self) -> AdminOutcome:
        with self.sessions() as session:
            found = roles.officials(session)
            if not found:
                return _say(Doc().add(texts.ADMIN_OFFICIALS_NONE))
            doc = Doc().add(b(texts.ADMIN_OFFICIALS_HEADER))
            for official in found:
                doc.add(
                    fill(texts.ADMIN_OFFICIALS_ITEM, user=str(official.telegram_id), unit=official.unit.name)
                )
        return _say(doc)

    # --- the admins' tables: /lich, /coquan, dossier imports --------------------------------------

    def calendar(self, admin_id: int, args: list[str], today: date) -> AdminOutcome:
        """``/lich [year]``: a year's days off and the stored corrections; ``/lich nghi|lambu …``
        adds a correction, ``/lich xoa <n>`` withdraws one."""
        if not args or (len(args) == 1 and args[0].isdigit()):
            return _say(self._calendar_year(int(args[0]) if args else today.year))
        actor = self.actor(admin_id)
        with self.sessions.begin() as session:
            try:
                if args[0].lower() in ("xoa", "xóa") and len(args) == 2 and args[1].isdigit():
                    applied = withdraw_change(session, int(args[1]))
                    if applied is None:
                        return _say(Doc().add(texts.ADMIN_CALENDAR_NO_CHANGE.format(id=args[1])))
                    template = texts.ADMIN_CALENDAR_REMOVED
                else:
                    applied = apply_change(session, parse_change(list(args), actor), actor)
                    template = texts.ADMIN_CALENDAR_SAVED
            except (ValueError, CalendarError) as exc:
                errors = "; ".join(str(e) for e in getattr(exc, "errors", []))
                return _say(Doc().add(texts.ADMIN_CALENDAR_REJECTED.format(reason=f"{exc} {errors}".strip())))
            reply = template.format(
                id=applied.change.id,
                entry=describe(applied.change.schedule_entry()),
                days=len(applied.changed_days),
                dossiers=applied.recomputed,
            )
        return _say(Doc().add(reply))

    def _calendar_year(self, year: int) -> Doc:
        with self.sessions() as session:
            calendar = calendar_for(session)
            doc = Doc().add(b(texts.ADMIN_CALENDAR_YEAR.format(year=year)))
            for day, reason in calendar.days_off(year):
                doc.add(texts.ADMIN_CALENDAR_DAY.format(day=f"{day:%d/%m}", reason=reason))
            swapped = calendar.swapped_working_days(year)
            if swapped:
                doc.add(texts.ADMIN_CALENDAR_SWAPPED.format(days=", ".join(f"{d:%d/%m}" for d in swapped)))
            doc.add(texts.ADMIN_CALENDAR_PROVISIONAL.format(day=f"{calendar.provisional_from():%d/%m/%Y}"))
            changes = stored_changes(session)
            if changes:
                doc.blank().add(b(texts.ADMIN_CALENDAR_CHANGES))
            for change in changes:
                entry = describe(change.schedule_entry())
                doc.add(texts.ADMIN_CALENDAR_CHANGE.format(id=change.id, entry=entry, actor=change.actor))
        return doc.blank().add(texts.ADMIN_CALENDAR_HOW)

    def agency(self, admin_id: int, args: list[str]) -> AdminOutcome:
        """``/coquan``: the agency table; ``/coquan <unit code> <agency>`` maps one, ``/coquan xoa
        <agency>`` removes one."""
        with self.sessions.begin() as session:
            if not args:
                entries = agencies(session)
                if not entries:
                    return _say(Doc().add(texts.ADMIN_AGENCY_NONE).blank().add(texts.ADMIN_AGENCY_HOW))
                doc = Doc()
                for entry in entries:
                    doc.add(
                        texts.ADMIN_AGENCY_ITEM.format(
                            agency=entry.agency, unit=entry.unit.name, code=entry.unit.code
                        )
                    )
                return _say(doc)
            if args[0].lower() in ("xoa", "xóa") and len(args) > 1:
                name = " ".join(args[1:])
                removed = remove_agency(session, name)
                template = texts.ADMIN_AGENCY_REMOVED if removed else texts.ADMIN_AGENCY_MISSING
                return _say(Doc().add(template.format(agency=name)))
            if len(args) < 2:
                return _say(Doc().add(texts.ADMIN_AGENCY_HOW))
            unit = get_unit(session, args[0])
            if unit is None:
                return _say(Doc().add(texts.ADMIN_UNIT_UNKNOWN.format(code=args[0])))
            name = " ".join(args[1:])
            try:
                add_agency(session, name, unit, self.actor(admin_id))
            except ValueError as exc:
                return _say(Doc().add(texts.ADMIN_CALENDAR_REJECTED.format(reason=str(exc))))
            return _say(Doc().add(texts.ADMIN_AGENCY_ADDED.format(agency=name, unit=unit.name)))

    def import_file(self, filename: str, raw: bytes, args: list[str]) -> AdminOutcome:
        """A dossier export (``/nhaphoso [unit code]``): what was imported, and the rows refused as
        a CSV to correct and send again."""
        name = Path(filename).name or "export.csv"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(raw)
            try:
                with self.sessions.begin() as session:
                    unit = get_unit(session, args[0]) if args else None
                    if args and unit is None:
                        return _say(Doc().add(texts.ADMIN_UNIT_UNKNOWN.format(code=args[0])))
                    result = import_dossiers(session, path, unit=unit)
            except (DossierFileError, ProfileError) as exc:
                return _say(Doc().add(texts.ADMIN_IMPORT_REJECTED.format(reason=str(exc))))
            outcome = _say(_import_reply(result))
            if result.errors:
                errors = Path(folder) / f"{path.stem}.errors.csv"
                result.write_errors(errors)
                outcome.outs.append(Attachment(errors.read_bytes(), errors.name, Doc()))
        return outcome
