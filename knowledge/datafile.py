"""Reading data files safely, and the error every data-file loader raises: the file is rejected,
with every bad record listed.

A file may come from anyone an admin trusts, or from a path typed in a chat: what is read is
bounded (a regular file, at most so many bytes, and as many once decompressed: a gzip of a few
megabytes may hold gigabytes), and what is decoded must be storable by both databases (no NaN or
Infinity, no NUL, no lone surrogate, no absurd nesting). Each problem is a refusal with its reason,
never a traceback.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import stat
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

ItemError = TypeVar("ItemError")

LISTED = 50  # records named in the message; ``errors`` always holds them all
MAX_DEPTH = 16  # nesting of lists and objects in a record or an envelope; a catalogue needs 4
GZIP_MAGIC = b"\x1f\x8b"
MB = 1024 * 1024


class DataFileError(ValueError, Generic[ItemError]):
    """A data file was rejected and nothing was loaded; ``errors`` lists every bad record."""

    def __init__(self, message: str, errors: Sequence[ItemError] = ()) -> None:
        self.errors = list(errors)
        detail = "".join(f"\n  - {error}" for error in self.errors[:LISTED])
        more = f"\n  … và {len(self.errors) - LISTED} lỗi khác" if len(self.errors) > LISTED else ""
        super().__init__(message + detail + more)


def read_bounded(path: Path, limit: int, error: type[DataFileError[Any]] = DataFileError) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``error`` for anything else (a
    device such as /dev/zero, a folder, a pipe, a file too big, one that cannot be read)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise error(f"{path}: không phải tệp thường")
        with path.open("rb") as file:
            raw = file.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: không đọc được tệp ({exc.strerror or exc})") from exc
    if len(raw) > limit:
        raise error(f"{path}: tệp quá lớn (hơn {limit // MB} MB)")
    return raw


def gunzip_bounded(
    raw: bytes, limit: int, source: str, error: type[DataFileError[Any]] = DataFileError
) -> bytes:
    """``raw`` itself, or decompressed when it is gzip'd, in either case at most ``limit`` bytes:
    decompression streams and stops past the limit, so a bomb costs ``limit`` bytes, not its size."""
    if len(raw) > limit:
        raise error(f"{source}: tệp quá lớn (hơn {limit // MB} MB)")
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as packed:
            data = packed.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:  # bad header or CRC, truncated, corrupt
        raise error(f"{source}: tệp gzip hỏng ({exc or type(exc).__name__})") from exc
    if len(data) > limit:
        raise error(f"{source}: tệp quá lớn khi giải nén (hơn {limit // MB} MB)")
    return data


def decode_json(raw: bytes, source: str, error: type[DataFileError[Any]] = DataFileError) -> Any:
    """UTF-8 JSON text decoded; ``error`` with the reason when it is not."""
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError as exc:
        raise error(f"{source}: JSON lồng nhau quá sâu") from exc
    except ValueError as exc:  # not UTF-8, not JSON, an integer of thousands of digits
        raise error(f"{source}: không phải JSON hợp lệ ({exc})") from exc


def unstorable(value: Any) -> str | None:
    """Why decoded JSON cannot be stored as it is by SQLite and PostgreSQL alike, or None.

    PostgreSQL refuses NaN and Infinity in JSON and NUL in any text; a lone surrogate (``"\\ud800"``
    in JSON) is not UTF-8, which both need. Nesting deeper than ``MAX_DEPTH`` is refused too: no
    record needs it, and writing it back would exceed Python's recursion limit.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "chứa ký tự NUL (\\u0000), cơ sở dữ liệu không lưu được"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "chứa ký tự surrogate lẻ (không phải UTF-8 hợp lệ)"
        elif isinstance(item, float) and not math.isfinite(item):
            name = "NaN" if math.isnan(item) else "Infinity"
            return f"giá trị {name} không phải số hợp lệ, cơ sở dữ liệu không lưu được"
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return f"lồng nhau quá sâu (quá {MAX_DEPTH} cấp)"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None
