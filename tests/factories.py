"""Factories for test data: small, explicit, overridable (no fixtures copied by hand)."""

from __future__ import annotations

import itertools
from typing import Any

from knowledge.catalogue import Catalogue, ProcedureRecord

_codes = itertools.count(900001)


def procedure_record(**overrides: Any) -> dict[str, Any]:
    """A valid catalogue record as a plain dict, as it stands in a catalogue file."""
    record: dict[str, Any] = {
        "code": f"9.{next(_codes):06d}",
        "name": "Thủ tục đăng ký khai sinh",
        "field": "Hộ tịch",
        "levels": ["xa"],
        "channels": [
            {"channel": "truc_tiep", "time": "1 Ngày làm việc", "days": 1, "fee": "Miễn phí",
             "fee_vnd": 0},
            {"channel": "truc_tuyen", "time": "1 Ngày làm việc", "days": 1, "fee": "Miễn phí",
             "fee_vnd": 0},
        ],
        "documents": [{"name": "Tờ khai đăng ký khai sinh", "quantity": "1 bản chính"}],
        "legal_basis": [{"title": "Luật Hộ tịch", "number": "60/2014/QH13"}],
        "result": "Giấy khai sinh",
        "source": "test",
    }
    record.update(overrides)
    return record


def catalogue(*records: dict[str, Any], version: str = "test-1") -> Catalogue:
    parsed = [ProcedureRecord.model_validate(r) for r in records]
    return Catalogue(version=version, checksum=version, procedures=parsed)
