"""`tthc-bot everyday add|remove|list`: the everyday names admins add to procedures (as `/themtu`
and `/botu` do on Telegram). Every bot process takes a change into its search index at its next look
at the database (knowledge.versionwatch)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot import texts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register(sub: Any) -> None:
    everyday = sub.add_parser("everyday", help="cách người dân gọi thủ tục: thêm, bỏ, liệt kê")
    actions = everyday.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="thêm một cách gọi cho thủ tục")
    add.add_argument("code", help="mã thủ tục")
    add.add_argument("phrase", nargs="+", help="cách gọi, ví dụ: làm giấy khai sinh cho con")
    remove = actions.add_parser("remove", help="bỏ một cách gọi đã thêm")
    remove.add_argument("code", help="mã thủ tục")
    remove.add_argument("phrase", nargs="+")
    actions.add_parser("list", help="số cách gọi có sẵn và các cách gọi đã thêm")
    everyday.set_defaults(func=cmd_everyday)


def cmd_everyday(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from knowledge.everyday import MAX_PHRASE_LENGTH, PhraseRefused, add_phrase, remove_phrase
    from knowledge.migrations import prepare_schema
    from knowledge.models import Procedure
    from knowledge.store import open_store

    store = open_store(load=False)
    try:
        prepare_schema(store.engine)
        with store.sessions.begin() as session:
            if args.action == "list":
                _list(session)
                return 0
            phrase = " ".join(args.phrase)
            if args.action == "add":
                row = add_phrase(session, args.code, phrase, None)
                name = session.scalar(select(Procedure.name).where(Procedure.code == row.procedure_code))
                print(texts.ADMIN_PHRASE_ADDED.format(phrase=row.phrase, code=row.procedure_code, name=name))
            else:
                removed = remove_phrase(session, args.code, phrase)
                print(texts.ADMIN_PHRASE_REMOVED.format(phrase=removed, code=args.code))
    except PhraseRefused as exc:
        template = texts.ADMIN_PHRASE_REFUSED[exc.reason]
        print(template.format(code=exc.code, phrase=exc.phrase, limit=MAX_PHRASE_LENGTH), file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _list(session: Session) -> None:
    from knowledge.everyday import load_everyday, stored_phrases

    bundled = load_everyday().names
    names = sum(len(values) for values in bundled.values())
    print(texts.EVERYDAY_CLI_BUNDLED.format(names=names, codes=len(bundled)))
    rows = stored_phrases(session)
    print(texts.EVERYDAY_CLI_ADDED.format(count=len(rows)))
    for row in rows:
        by = texts.EVERYDAY_CLI_BY_COMMAND_LINE if row.added_by is None else row.added_by
        at = f"{row.added_at:%Y-%m-%d %H:%M}"
        print(texts.EVERYDAY_CLI_ITEM.format(code=row.procedure_code, phrase=row.phrase, by=by, at=at))
