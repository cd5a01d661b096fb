"""`tthc-bot --help`, and commands that neither search nor chart, start without loading the search
(index/: underthesea, whoosh), Telegram or the charts (matplotlib): each command imports what it
needs when it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("index", "underthesea", "whoosh", "matplotlib", "telegram")
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
    """The exit code of ``tthc-bot argv…`` run in a fresh interpreter, and every module it imported."""
    env = {**os.environ, "TTHC_DATA_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": ""}
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
    ("argv", "code"),
    [(("--help",), 0), (("run",), 2)],  # run without a token: 2, before anything is loaded
)
def test_the_command_line_starts_without_the_search_telegram_or_charts(
    tmp_path: Path, argv: tuple[str, ...], code: int
) -> None:
    exit_code, loaded = modules_after(tmp_path, *argv)
    assert exit_code == code
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
