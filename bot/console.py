"""The console channel: the same dialogue as on Telegram, in a terminal.

Replies are printed as plain text with links visible; buttons become numbered choices, and typing a
number presses the button. The console is one user (``CONSOLE_USER_ID``) whose state is kept in the
database like a Telegram user's.

With an ``OfficialDesk`` (``tthc-bot chat --official UNIT``) the officials' commands work too,
through the same ``OfficialDialogue`` as on Telegram, and so do the admins' (``/reload <path>`` and
its button, ``/rollback``, ``/export``, ``/stats``, ``/grant``, ``/revoke``, ``/officials``,
``/lich``, ``/coquan``) through the same ``AdminDialogue``; charts, spreadsheets, letters and the
exported catalogue are saved as files.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot import admin_dialogue, official_dialogue, texts
from bot.admin_dialogue import CALLBACK_PATTERN as ADMIN_BUTTONS
from bot.admin_dialogue import AdminDialogue, AdminOutcome
from bot.dialogue import Dialogue, Reply
from bot.keyboards import Button
from bot.official_dialogue import OfficialDialogue, Out
from bot.render import Doc, link, safe_url, to_plain
from knowledge.compliance.periods import PeriodSyntaxError, parse_request
from knowledge.compliance.profile import local_now
from knowledge.store import Store
from knowledge.units import get_unit, unit_label

CONSOLE_USER_ID = 0  # Telegram user ids are positive, so 0 never clashes with a real user
CONSOLE_ACTOR = "console"  # who issued a letter from the console


def format_reply(reply: Reply, first_number: int = 1, *, choices: bool = True) -> str:
    """A reply as the console shows it; choices are numbered from ``first_number``.

    Without ``choices`` (a one-shot answer, nothing to press) only link buttons are shown.
    """
    lines = [to_plain(reply.doc)]
    number = first_number
    for row in reply.buttons:
        for button in row:
            url = safe_url(button.url)
            if url is not None:
                lines.append(texts.CONSOLE_LINK.format(number=number, label=button.label, url=url))
            elif choices:
                lines.append(texts.CONSOLE_CHOICE.format(number=number, label=button.label))
            number += 1
    return "\n".join(lines)


@dataclasses.dataclass
class OfficialDesk:
    """The officials' commands in the console, about one unit unless another code is typed, through
    the same ``OfficialDialogue`` as on Telegram; charts, spreadsheets and letters are saved as files.

    The console runs on the server and is trusted like the ``report`` command, so its user acts as
    an admin (``open`` adds it to this store's admins, not to the settings of anything else).
    """

    store: Store
    unit_code: str
    unit_label: str
    files_dir: Path  # where charts, spreadsheets and letters are saved
    user_id: int = CONSOLE_USER_ID
    clock: Callable[[], datetime] = local_now

    COMMANDS = tuple(f"/{name}" for name in official_dialogue.COMMANDS if name != "nhacviec")
    # /invite makes a Telegram link: for the console, `tthc-bot invite` prints one
    ADMIN_COMMANDS = tuple(f"/{name}" for name in admin_dialogue.COMMANDS if name != "invite")

    @classmethod
    def open(
        cls, store: Store, unit_code: str, files_dir: Path, user_id: int = CONSOLE_USER_ID
    ) -> OfficialDesk | None:
        """The desk for the unit with this code (current first, else old); None if there is none."""
        with store.sessions() as session:
            unit = get_unit(session, unit_code)
            if unit is None:
                return None
            label = unit_label(unit)
        settings = store.settings.model_copy(update={"admin_ids": [*store.settings.admin_ids, user_id]})
        trusted = dataclasses.replace(store, settings=settings)
        return cls(trusted, unit.code, label, files_dir, user_id)

    @property
    def dialogue(self) -> OfficialDialogue:
        return OfficialDialogue(self.store, self.clock, actor=lambda _user: CONSOLE_ACTOR)

    @property
    def admin(self) -> AdminDialogue:
        return AdminDialogue(self.store, actor=lambda _user: CONSOLE_ACTOR)

    def command(self, command: str, args: list[str]) -> list[Reply]:
        try:
            named = parse_request(args, self.clock().date()).code is not None
        except PeriodSyntaxError:
            named = True  # let the dialogue explain the usage
        if not named:
            args = [*args, self.unit_code]
        return self.shown(self.dialogue.command(self.user_id, command.removeprefix("/"), args))

    def button(self, data: str) -> list[Reply] | None:
        """A button of an official's reply; None for others (the citizen's, an admin's)."""
        outs = self.dialogue.button(self.user_id, data)
        return None if outs is None else self.shown(outs)

    def shown(self, outs: list[Out]) -> list[Reply]:
        """Replies as they are; files saved, their caption and where they went shown instead."""
        replies = []
        for out in outs:
            if isinstance(out, Reply):
                replies.append(out)
                continue
            path = self._save(out.filename, out.content)
            doc = Doc(list(out.caption.lines)).blank().add(texts.CONSOLE_FILE_SAVED.format(path=path))
            replies.append(Reply(doc, out.buttons))
        return replies

    def _save(self, name: str, content: bytes) -> Path:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = (self.files_dir / name).resolve()
        path.write_bytes(content)
        return path


class Console:
    def __init__(
        self,
        dialogue: Dialogue,
        out: TextIO,
        user_id: int = CONSOLE_USER_ID,
        desk: OfficialDesk | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.out = out
        self.user_id = user_id
        self.desk = desk
        self.choices: list[Button] = []  # the buttons of the last replies, by number - 1

    def show(self, replies: Iterable[Reply]) -> None:
        self.choices = []
        for reply in replies:
            print(format_reply(reply, len(self.choices) + 1), file=self.out)
            print(file=self.out)
            self.choices.extend(button for row in reply.buttons for button in row)

    def handle(self, line: str) -> list[Reply]:
        """What the bot replies to one line typed in the console."""
        line = line.strip()
        if line.isdigit() and self.choices:
            number = int(line)
            if not 1 <= number <= len(self.choices):
                return [Reply(Doc().add(texts.CONSOLE_BAD_CHOICE.format(number=number)))]
            button = self.choices[number - 1]
            if button.data is None:
                return [Reply(Doc().add(link(button.label, button.url or "")))]
            if self.desk is not None and re.match(ADMIN_BUTTONS, button.data):
                return self._admin(self.desk, self.desk.admin.button(self.desk.user_id, button.data))
            pressed = self.desk.button(button.data) if self.desk is not None else None
            return pressed if pressed is not None else self.dialogue.button(self.user_id, button.data)
        command, _, argument = line.partition(" ")
        if self.desk is not None and command in OfficialDesk.COMMANDS:
            return self.desk.command(command, argument.split())
        if self.desk is not None and command in OfficialDesk.ADMIN_COMMANDS:
            outcome = self.desk.admin.command(self.desk.user_id, command.removeprefix("/"), argument.split())
            return self._admin(self.desk, outcome)
        commands: dict[str, Callable[[], list[Reply]]] = {
            "/start": lambda: self.dialogue.start(self.user_id, None, argument.strip() or None),
            "/xa": lambda: self.dialogue.change_commune(self.user_id),
            "/thutuc": lambda: self.dialogue.procedures(self.user_id),
            "/help": lambda: self.dialogue.help(self.user_id),
        }
        if command in commands:
            return commands[command]()
        return self.dialogue.text(self.user_id, line)

    def _admin(self, desk: OfficialDesk, outcome: AdminOutcome) -> list[Reply]:
        """An admin's outcome: the catalogue followed at once if it changed, files saved (the
        Telegram menus do not concern the console)."""
        if outcome.catalogue_changed:
            self.dialogue.follow_catalogue()
        return desk.shown(outcome.outs)

    def loop(self, read: Callable[[str], str] = input) -> None:
        """Read lines until end of input or a quit word."""
        print(texts.CONSOLE_WELCOME, file=self.out)
        if self.desk is not None:
            print(texts.CONSOLE_OFFICIAL_WELCOME.format(unit=self.desk.unit_label), file=self.out)
        print(file=self.out)
        self.show(self.dialogue.resume(self.user_id))
        while True:
            try:
                line = read(texts.CONSOLE_PROMPT)
            except EOFError:
                return
            if line.strip().lower() in texts.CONSOLE_QUIT_WORDS:
                return
            if line.strip():
                self.show(self.handle(line))
