"""`tthc-bot --help`, and commands that neither search nor chart, start without loading the search
(index/: underthesea, whoosh), Telegram or the charts (matplotlib): each command imports what it
needs when it runs, and `--help` not even the database layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands.compliance import DEMO_SCENARIOS, WORK_LISTS
from knowledge.compliance.demo import SCENARIOS
from knowledge.compliance.worklists import WorkList

HEAVY = {"index", "underthesea", "whoosh", "matplotlib", "telegram"}
SCRIPT = """
import json, sys
from bot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_after(tmp_path: Path, *argv: str) -> tuple[int, set[str]]:
    """The exit code of ``tthc-bot argv…`` run in a fresh interpreter, and every package it imported."""
    env = {**os.environ, "TTHC_DATA_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": ""}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    return int(result["code"] or 0), {name.split(".")[0] for name in result["modules"]}


@pytest.mark.parametrize(
    ("argv", "code", "unloaded"),
    [
        (("--help",), 0, HEAVY | {"sqlalchemy"}),
        (("run",), 2, HEAVY | {"sqlalchemy"}),  # without a token: 2, before anything is loaded
        (("migrate",), 0, HEAVY),  # a database command
    ],
)
def test_the_command_line_loads_only_what_the_command_needs(
    tmp_path: Path, argv: tuple[str, ...], code: int, unloaded: set[str]
) -> None:
    exit_code, loaded = modules_after(tmp_path, *argv)
    assert exit_code == code
    assert not loaded & unloaded, sorted(loaded & unloaded)


def test_the_parsers_choices_are_the_domains() -> None:
    assert set(WORK_LISTS) == {which.value for which in WorkList}
    assert set(DEMO_SCENARIOS) == set(SCENARIOS)
