"""Sub-commands of `tthc-bot`, one module per feature; each exposes `register(subparsers)`."""

from __future__ import annotations

from types import ModuleType

from bot.commands import admin, admindata, catalogue, chat, compliance, everyday, posting, search

COMMAND_MODULES: list[ModuleType] = [catalogue, admin, chat, compliance, search, admindata, posting, everyday]
