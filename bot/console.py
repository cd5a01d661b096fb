"""The console channel: the same dialogue as on Telegram, in a terminal.

Replies are printed as plain text with links visible; buttons become numbered choices, and typing a
number presses the button. The console is one user (``CONSOLE_USER_ID``) whose state is kept in the
database like a Telegram user's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

from bot import texts
from bot.dialogue import Dialogue, Reply
from bot.keyboards import Button
from bot.render import Doc, link, safe_url, to_plain

CONSOLE_USER_ID = 0  # Telegram user ids are positive, so 0 never clashes with a real user


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


class Console:
    def __init__(self, dialogue: Dialogue, out: TextIO, user_id: int = CONSOLE_USER_ID) -> None:
        self.dialogue = dialogue
        self.out = out
        self.user_id = user_id
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
            return self.dialogue.button(self.user_id, button.data)
        command, _, argument = line.partition(" ")
        commands: dict[str, Callable[[], list[Reply]]] = {
            "/start": lambda: self.dialogue.start(self.user_id, None, argument.strip() or None),
            "/xa": lambda: self.dialogue.change_commune(self.user_id),
            "/thutuc": lambda: self.dialogue.procedures(self.user_id),
            "/help": lambda: self.dialogue.help(self.user_id),
        }
        if command in commands:
            return commands[command]()
        return self.dialogue.text(self.user_id, line)

    def loop(self, read: Callable[[str], str] = input) -> None:
        """Read lines until end of input or a quit word."""
        print(texts.CONSOLE_WELCOME, file=self.out)
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
