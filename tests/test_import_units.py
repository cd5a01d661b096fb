"""The units importer, on small cuts of the real raw files, and the committed bundled file."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from knowledge.importers.units import build
from knowledge.units import BUNDLED_UNITS, read_units

FIXTURES = Path(__file__).parent / "fixtures" / "raw_units"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("units") / "units.json.gz"
    report = build(FIXTURES, out)
    return report, json.loads(gzip.decompress(out.read_bytes())), out


def _successors(document: dict[str, Any], old: str) -> dict[str, bool]:
    return {s["new"]: s["full"] for s in document["successions"] if s["old"] == old}


def test_counts_and_cross_checks(built: tuple[dict[str, Any], dict[str, Any], Path]) -> None:
    report, document, _ = built
    assert report["2008"] == {"provinces": 4, "districts": 4, "communes": 42}
    assert report["2025"] == {"provinces": 5, "communes": 21}
    assert report["old_units_without_successor"] == 0
    assert report["province_mapping_mismatches"] == 0
    assert report["official_commune_mismatches"] == 0
    assert report["vnexpress_mismatches"] == 0
    assert len(document["units"]) == 4 + 4 + 42 + 5 + 21


def test_units_of_both_eras_share_codes(built: tuple[dict[str, Any], dict[str, Any], Path]) -> None:
    _, document, _ = built
    units = {(u["era"], u["code"]): u for u in document["units"]}
    assert units["2008", "16195"] == {
        "era": "2008",
        "code": "16195",
        "name": "Xã Cát Vân",
        "kind": "commune",
        "parent": "402",
    }
    assert units["2008", "16225"]["name"] == units["2025", "16225"]["name"] == "Xã Thượng Ninh"
    assert units["2025", "16225"]["parent"] == "38"
    assert units["2008", "402"]["kind"] == "district"
    assert units["2025", "11948"]["kind"] == "special_zone"
    assert units["2025", "01"]["kind"] == "city"


def test_commune_successions_come_from_the_mapping(
    built: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    _, document, _ = built
    assert _successors(document, "16195") == {"16225": True}  # Cát Vân → Thượng Ninh
    assert _successors(document, "00001") == {"00097": True}  # Phúc Xá → Hồng Hà


def test_districts_and_provinces_get_derived_successors(
    built: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    _, document, _ = built
    nhu_xuan = _successors(document, "402")
    assert "16225" in nhu_xuan and len(nhu_xuan) > 1
    assert not any(nhu_xuan.values())  # split among several communes: each only partly
    assert _successors(document, "318") == {"11948": True}  # island district → Đặc khu Bạch Long Vĩ
    assert _successors(document, "38") == {"38": True}
    assert _successors(document, "31") == {"31": True}


def test_a_commune_mapped_into_another_province_is_corrected(
    built: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    report, document, _ = built
    assert report["moved_to_own_province"] == 1
    assert _successors(document, "30622") == {"30604": True}  # Tân Phú → Vĩnh An, An Giang
    assert _successors(document, "89") == {"91": True}


def test_build_is_deterministic(built: tuple[dict[str, Any], dict[str, Any], Path], tmp_path: Path) -> None:
    _, _, first = built
    again = tmp_path / "again.json.gz"
    build(FIXTURES, again)
    assert again.read_bytes() == first.read_bytes()


def test_bundled_file_has_both_eras_in_full() -> None:
    data = read_units(BUNDLED_UNITS)
    levels = Counter(
        (u.era, "province" if u.parent is None else "district" if u.kind == "district" else "commune")
        for u in data.units
    )
    assert levels == {
        ("2008", "province"): 63,
        ("2008", "district"): 696,
        ("2008", "commune"): 10035,
        ("2025", "province"): 34,
        ("2025", "commune"): 3321,
    }
    old_with_successor = {old for old, _, _ in data.successions}
    assert old_with_successor == {u.code for u in data.units if u.era == "2008"}
