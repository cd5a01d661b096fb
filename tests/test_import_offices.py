"""The one-stop offices importer (Đà Nẵng), on a cut of the real raw file, and the committed file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from knowledge.importers.offices import SOURCE, build
from knowledge.units import BUNDLED_OFFICES

SHARED = Path(__file__).parent / "fixtures" / "raw_offices"
RAW = SHARED / "data" / "raw" / "danang_commune_offices_duckvhuynh" / "administrative-information.json"


def units_file(path: Path, *units: tuple[str, str]) -> Path:
    document = {
        "units": [{"era": "2025", "code": "48", "kind": "city", "name": "Thành phố Đà Nẵng", "parent": None}]
        + [
            {"era": "2025", "code": code, "kind": "ward", "name": name, "parent": "48"}
            for code, name in units
        ]
    }
    path.write_bytes(gzip.compress(json.dumps(document).encode("utf-8")))
    return path


DA_NANG = (("20242", "Phường Hải Châu"), ("20434", "Xã Tân Hiệp"), ("20333", "Đặc khu Hoàng Sa"))


def offices_of(path: Path) -> dict[str, dict[str, Any]]:
    return {entry["unit"]: entry for entry in json.loads(path.read_text(encoding="utf-8"))["offices"]}


def test_offices_are_placed_by_name_with_unverified_phones(tmp_path: Path) -> None:
    output = tmp_path / "offices.json"
    summary = build(SHARED, output, units_file(tmp_path / "units.json.gz", *DA_NANG))
    assert summary == "3 Đà Nẵng offices (2 with an unverified phone), 0 kept"
    offices = offices_of(output)
    assert offices["20242"] == {
        "unit": "20242",
        "address": "Số 15 đường Lê Hồng Phong, phường Hải Châu",
        "phone": "0903570134",
        "phone_verified": False,
        "latitude": 16.063728,
        "longitude": 108.222472,
        "source": SOURCE,
    }
    assert "phone" not in offices["20333"]  # Hoàng Sa has none: nothing is invented
    again = tmp_path / "again.json"
    build(SHARED, again, units_file(tmp_path / "units.json.gz", *DA_NANG))
    assert again.read_bytes() == output.read_bytes()


def test_entries_of_other_sources_are_kept(tmp_path: Path) -> None:
    output = tmp_path / "offices.json"
    manual = {"unit": "16225", "address": "Thôn 1", "source": "Trang của UBND xã Thượng Ninh"}
    output.write_text(json.dumps({"offices": [manual]}), encoding="utf-8")
    summary = build(SHARED, output, units_file(tmp_path / "units.json.gz", *DA_NANG))
    assert summary.endswith("1 kept")
    assert offices_of(output)["16225"] == manual


def test_a_unit_that_cannot_be_placed_stops_the_build(tmp_path: Path) -> None:
    output = tmp_path / "offices.json"
    with pytest.raises(ValueError, match="Tân Hiệp: no 2025 unit"):
        build(SHARED, output, units_file(tmp_path / "units.json.gz", *DA_NANG[:1], DA_NANG[2]))
    assert not output.exists()


def test_the_committed_file_covers_da_nang() -> None:
    offices = json.loads(BUNDLED_OFFICES.read_text(encoding="utf-8"))["offices"]
    ours = [entry for entry in offices if entry["source"] == SOURCE]
    assert len(ours) == 94
    assert all(entry["address"] and "latitude" in entry for entry in ours)
    assert all(entry["phone_verified"] is False for entry in ours if "phone" in entry)
