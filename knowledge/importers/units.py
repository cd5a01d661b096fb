"""Administrative units of both eras, and which old unit went into which new one.

Sources (under ``<shared>/data/raw``; read their SOURCE.md):

- ``vn_units_pre2025_thanglequoc``: the last three-tier state (63 provinces, 696 districts, ~10,035
  communes), GSO codes and names. This is the "2008" era.
- ``vn_units_2025_dvhcvn``: the two-tier state of 1 July 2025 (34 provinces, 3,321 communes) and,
  per new commune, the old communes it was made of with a full/partial flag (``merges.json``).
  This is the "2025" era and the commune successions.
- ``vn_units_2025_dvhcvn/input`` (official lists 915 and 1027/CTK-CSCL) and
  ``vn_units_2025_vnexpress_vanducng`` are only cross-checks: their disagreements are counted in the
  report, nothing is taken from them.

The data maps old communes (and the five island districts without communes) to new communes.
Districts and provinces are given successors here, derived from their communes': an old unit went
*fully* into a new one when every part of it went there, *partly* otherwise.

The output is deterministic (sorted, no timestamps, gzip mtime 0) so that a rebuild of unchanged
sources leaves the committed file byte-for-byte the same.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

FORMAT = "tthc-units/1"
OLD_ERA = "2008"
NEW_ERA = "2025"

PRE2025 = Path("vn_units_pre2025_thanglequoc")
DVHCVN = Path("vn_units_2025_dvhcvn")
VNEXPRESS = Path("vn_units_2025_vnexpress_vanducng")

# Kind of a unit from the first word(s) of its full name; districts of every kind are "district".
_KINDS = [
    ("Thành phố", "city"),
    ("Tỉnh", "province"),
    ("Thị trấn", "township"),
    ("Đặc khu", "special_zone"),
    ("Phường", "ward"),
    ("Xã", "commune"),
]
_DISTRICT_PREFIXES = ("Huyện", "Quận", "Thị xã", "Thành phố")
_SPACES = re.compile(r"\s+")
_MD_ROW = re.compile(r"^\|\s*\d+\s*\|\s*(\d{5})\s*\|\s*(.*?)\s*\|")


def clean(name: str) -> str:
    """NFC, single spaces; the official lists split long names with ``<br>``."""
    name = unicodedata.normalize("NFC", name.replace("<br>", " "))
    return _SPACES.sub(" ", name).strip()


def kind_of(name: str, level: int) -> str:
    """The UnitKind value for a full name at level 1 (province), 2 (district) or 3 (commune)."""
    if level == 2:
        if not name.startswith(_DISTRICT_PREFIXES):
            raise ValueError(f"không nhận ra loại đơn vị cấp huyện: {name!r}")
        return "district"
    for prefix, kind in _KINDS:
        if name.startswith(prefix + " ") and (level == 1) == (kind in ("city", "province")):
            return kind
    raise ValueError(f"không nhận ra loại đơn vị: {name!r}")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return re.sub(r"[^a-z0-9]+", " ", "".join(c for c in decomposed if not unicodedata.combining(c))).strip()


def _unit(era: str, code: str, name: str, level: int, parent: str | None) -> dict[str, Any]:
    name = clean(name)
    return {"era": era, "code": code, "name": name, "kind": kind_of(name, level), "parent": parent}


def _old_units(raw: Path) -> list[dict[str, Any]]:
    path = raw / PRE2025 / "json" / "simplified_json_generated_data_vn_units.json"
    units: list[dict[str, Any]] = []
    for province in json.loads(path.read_text(encoding="utf-8")):
        units.append(_unit(OLD_ERA, province["Code"], province["FullName"], 1, None))
        for district in province["District"]:
            units.append(_unit(OLD_ERA, district["Code"], district["FullName"], 2, province["Code"]))
            for ward in district.get("Ward") or []:
                units.append(_unit(OLD_ERA, ward["Code"], ward["FullName"], 3, district["Code"]))
    return units


def _merges(raw: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (raw / DVHCVN / "mapping" / "merges.json").read_text(encoding="utf-8")
    )["data"]
    return data


def _new_units(merges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    units: list[dict[str, Any]] = []
    for province in merges:
        units.append(_unit(NEW_ERA, province["level1_id"], province["name"], 1, None))
        for commune in province["level2s"]:
            units.append(_unit(NEW_ERA, commune["level2_id"], commune["name"], 3, province["level1_id"]))
    return units


def _vnexpress_predecessors(raw: Path) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(folded province short name, folded new name) → [(folded old name, folded qualifier)].

    VnExpress writes "Xã Tân Phú (huyện Châu Thành)" when a name is ambiguous in the new province.
    """
    table: dict[tuple[str, str], list[tuple[str, str]]] = {}
    with (raw / VNEXPRESS / "data.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            olds = []
            for part in re.split(r",(?![^()]*\))", row["Phường, xã trước sáp nhập"]):
                match = re.match(r"\s*([^(]*?)\s*(?:\((.*)\))?\s*$", part)
                if match:
                    olds.append((_fold(match.group(1)), _fold(match.group(2) or "")))
            table[(_fold(row["Tỉnh"]), _fold(row["Phường, xã mới"]))] = olds
    return table


def _short_province(name: str) -> str:
    short = _fold(name).removeprefix("tinh ").removeprefix("thanh pho ")
    return "tp hcm" if short == "ho chi minh" else short


def _commune_successions(
    raw: Path, merges: list[dict[str, Any]], old: dict[str, dict[str, Any]]
) -> tuple[dict[tuple[str, str], bool], dict[str, int]]:
    """(old code, new code) → full, from the mapping, with the provinces' own mapping enforced.

    Every old province went whole into one new province (the province-level list in merges.json).
    A commune mapped outside the province its own province became contradicts that; it is moved to
    the new commune whose VnExpress predecessor list names it, when exactly one does, or dropped.
    """
    new_province_of_old = {
        part["old_id"]: province["level1_id"] for province in merges for part in province["merges"]
    }
    province_of_new = {c["level2_id"]: p["level1_id"] for p in merges for c in p["level2s"]}
    new_names = {
        c["level2_id"]: (_short_province(p["name"]), _fold(c["name"]).split(" ", 1)[1])
        for p in merges
        for c in p["level2s"]
    }
    predecessors: dict[tuple[str, str], list[tuple[str, str]]] | None = None
    direct: dict[tuple[str, str], bool] = {}
    stats = {"mapped_old_codes_not_in_three_tier_list": 0, "moved_to_own_province": 0, "dropped": 0}
    unknown: set[str] = set()
    for province in merges:
        for commune in province["level2s"]:
            for part in commune["merges"]:
                old_code, new_code = part["old_id"], commune["level2_id"]
                if old_code not in old:
                    unknown.add(old_code)
                    continue
                unit = old[old_code]
                old_province = unit["code"] if unit["parent"] is None else _province_of(old, unit)
                target = new_province_of_old[old_province]
                if province_of_new[new_code] != target:
                    predecessors = predecessors or _vnexpress_predecessors(raw)
                    district = _fold(old[unit["parent"]]["name"])
                    found = [
                        code
                        for code, (short, name) in new_names.items()
                        if province_of_new[code] == target
                        and any(
                            o == _fold(unit["name"]) and q in district
                            for o, q in predecessors.get((short, name), [])
                        )
                    ]
                    if len(found) != 1:
                        stats["dropped"] += 1
                        continue
                    stats["moved_to_own_province"] += 1
                    new_code = found[0]
                key = (old_code, new_code)
                direct[key] = direct.get(key, False) or part["type"] == "full"
    stats["mapped_old_codes_not_in_three_tier_list"] = len(unknown)
    return direct, stats


def _province_of(old: dict[str, dict[str, Any]], unit: dict[str, Any]) -> str:
    while unit["parent"] is not None:
        unit = old[unit["parent"]]
    return str(unit["code"])


def _successions(
    raw: Path, merges: list[dict[str, Any]], old_units: list[dict[str, Any]], new_units: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Old → new successions for communes (from the data), districts and provinces (derived)."""
    old = {u["code"]: u for u in old_units}
    new_province = {u["code"]: u["parent"] for u in new_units if u["parent"] is not None}
    direct, stats = _commune_successions(raw, merges, old)

    # What each old district and province went into, part by part.
    went_to: dict[str, set[str]] = defaultdict(set)
    for old_code, new_code in direct:
        unit = old[old_code]
        if unit["kind"] == "district":  # an island district without communes, mapped as a whole
            went_to[old_code].add(new_code)
        else:
            went_to[unit["parent"]].add(new_code)
        went_to[_province_of(old, unit)].add(new_province[new_code])

    successions = {key: full for key, full in direct.items() if old[key[0]]["kind"] != "district"}
    for old_code, targets in went_to.items():
        for new_code in targets:
            successions[(old_code, new_code)] = len(targets) == 1
    listed = {
        (part["old_id"], p["level1_id"]) for p in merges for part in p["merges"] if part["old_id"] in old
    }
    derived = {key for key in successions if old[key[0]]["parent"] is None}
    stats["province_mapping_mismatches"] = len(listed ^ derived)
    rows = [
        {"old": old_code, "new": new_code, "full": full}
        for (old_code, new_code), full in sorted(successions.items())
    ]
    return rows, stats


def _cross_checks(raw: Path, new_units: list[dict[str, Any]]) -> dict[str, int]:
    """Disagreements of the official lists and the VnExpress list with the units taken."""
    names = {u["code"]: u["name"] for u in new_units}
    provinces_csv = list(
        csv.reader((raw / DVHCVN / "input" / "915_CTK-CSCL.csv").read_text(encoding="utf-8").splitlines())
    )
    # The official list writes "Cao Bằng" for "Tỉnh Cao Bằng".
    province_diff = sum(
        1 for row in provinces_csv[1:] if not _fold(names.get(row[1], "")).endswith(_fold(row[2]))
    )
    official: dict[str, str] = {}
    for line in (raw / DVHCVN / "input" / "1027_CTK-CSCL.md").read_text(encoding="utf-8").splitlines():
        match = _MD_ROW.match(line)
        if match:
            official[match.group(1)] = clean(match.group(2))
    communes = {u["code"] for u in new_units if u["parent"] is not None}
    commune_diff = len(communes ^ official.keys()) + sum(
        1 for code in communes & official.keys() if names[code] != official[code]
    )
    # VnExpress gives bare names ("An Biên") per province short name ("An Giang", "TP HCM").
    by_province: dict[str, set[str]] = defaultdict(set)
    province_name = {u["code"]: u["name"] for u in new_units if u["parent"] is None}
    for unit in new_units:
        if unit["parent"] is not None:
            bare = _fold(unit["name"]).split(" ", 1)[1].removeprefix("khu ")
            by_province[_short_province(province_name[unit["parent"]])].add(bare)
    with (raw / VNEXPRESS / "data.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    vnexpress_diff = sum(
        1 for row in rows if _fold(row["Phường, xã mới"]) not in by_province[_fold(row["Tỉnh"])]
    )
    return {
        "official_province_mismatches": province_diff,
        "official_commune_mismatches": commune_diff,
        "vnexpress_rows": len(rows),
        "vnexpress_mismatches": vnexpress_diff,
    }


def _counts(units: list[dict[str, Any]], era: str) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for unit in units:
        if unit["era"] == era:
            level = (
                "provinces"
                if unit["parent"] is None
                else ("districts" if unit["kind"] == "district" else "communes")
            )
            counts[level] += 1
    return dict(counts)


def build(shared_dir: Path, out_path: Path) -> dict[str, Any]:
    """Write the units file from the raw data under ``shared_dir/data/raw``; return a report."""
    raw = shared_dir / "data" / "raw"
    old_units = _old_units(raw)
    merges = _merges(raw)
    new_units = _new_units(merges)
    successions, stats = _successions(raw, merges, old_units, new_units)
    document = {
        "format": FORMAT,
        "sources": {OLD_ERA: str(PRE2025), NEW_ERA: str(DVHCVN)},
        "units": old_units + new_units,
        "successions": successions,
    }
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(gzip.compress(payload.encode("utf-8"), compresslevel=9, mtime=0))
    old_codes_mapped = {row["old"] for row in successions}
    return {
        OLD_ERA: _counts(old_units, OLD_ERA),
        NEW_ERA: _counts(new_units, NEW_ERA),
        "successions": len(successions),
        "old_units_without_successor": sum(1 for u in old_units if u["code"] not in old_codes_mapped),
        **stats,
        **_cross_checks(raw, new_units),
        "bytes": out_path.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m knowledge.importers.units")
    parser.add_argument("--shared", type=Path, default=Path("../shared"), help="the shared/ folder")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "units.json.gz"
    )
    args = parser.parse_args()
    print(json.dumps(build(args.shared, args.out), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
