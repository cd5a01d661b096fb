"""`run`, `chat` and `ask`: the Telegram bot, and the same dialogue in a terminal.

Each command imports the bot (its search, Telegram, the console) when it runs, not when the command
line starts (``bot/cli.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot import texts


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="chạy bot Telegram (long polling, hoặc webhook khi có WEBHOOK_URL)")
    run.set_defaults(func=cmd_run)
    chat = sub.add_parser("chat", help="trò chuyện với bot ngay trong cửa sổ dòng lệnh")
    chat.add_argument(
        "--official",
        metavar="UNIT",
        help="mã đơn vị: dùng thêm lệnh cán bộ /tinhhinh, /quahan, /xephang (biểu đồ lưu ở thư mục hiện tại)",
    )
    chat.set_defaults(func=cmd_chat)
    ask = sub.add_parser("ask", help="in câu trả lời của bot cho một câu hỏi rồi thoát")
    ask.add_argument("--unit", help="xã/phường: tên (cũ hay mới, có dấu hay không) hoặc mã")
    ask.add_argument("question")
    ask.set_defaults(func=cmd_ask)


def cmd_run(args: argparse.Namespace) -> int:
    from knowledge.settings import get_settings

    settings = get_settings()
    if not settings.telegram_bot_token:
        print(texts.CONSOLE_NO_TOKEN, file=sys.stderr)
        return 2
    from telegram.error import InvalidToken

    from bot.app import run

    try:
        run(settings)
    except InvalidToken as exc:
        print(texts.RUN_FAILED.format(error=exc), file=sys.stderr)
        return 1
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.console import Console, OfficialDesk
    from bot.handlers.services import open_services
    from knowledge.settings import get_settings

    services = open_services(get_settings())
    try:
        desk = None
        if args.official:
            desk = OfficialDesk.open(services.store, args.official, Path.cwd())
            if desk is None:
                print(texts.CONSOLE_OFFICIAL_UNKNOWN_UNIT.format(code=args.official), file=sys.stderr)
                return 2
        Console(services.dialogue, sys.stdout, desk=desk).loop()
    finally:
        services.close()
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.console import format_reply
    from bot.handlers.services import open_services
    from knowledge.settings import get_settings

    services = open_services(get_settings())
    try:
        unit = None
        if args.unit:
            candidates = services.dialogue.find_commune(args.unit)
            if not candidates:
                print(texts.CONSOLE_UNIT_NOT_FOUND.format(text=args.unit), file=sys.stderr)
                return 2
            if len(candidates) > 1:
                print(texts.CONSOLE_UNIT_AMBIGUOUS.format(text=args.unit), file=sys.stderr)
                for candidate, label in candidates:
                    print(f"  {candidate.code}  {label}", file=sys.stderr)
                return 2
            unit = candidates[0][0]
        for reply in services.dialogue.answer(args.question, unit):
            print(format_reply(reply, choices=False))
    finally:
        services.close()
    return 0
