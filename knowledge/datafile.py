"""The error every data-file loader raises: the file is rejected, with every bad record listed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

ItemError = TypeVar("ItemError")

LISTED = 50  # records named in the message; ``errors`` always holds them all


class DataFileError(ValueError, Generic[ItemError]):
    """A data file was rejected and nothing was loaded; ``errors`` lists every bad record."""

    def __init__(self, message: str, errors: Sequence[ItemError] = ()) -> None:
        self.errors = list(errors)
        detail = "".join(f"\n  - {error}" for error in self.errors[:LISTED])
        more = f"\n  … và {len(self.errors) - LISTED} lỗi khác" if len(self.errors) > LISTED else ""
        super().__init__(message + detail + more)
