"""Check of the everyday-language data (not a timing): schema, catalogue names, event ids, repeats.

    .venv/bin/python -m knowledge.importers.everyday_check [FILE …] [--catalog PATH]

FILE defaults to knowledge/data/everyday.json; given several files (the parts written by different
people before they are merged), codes and everyday phrases must also be unique across them. Each
file must be UTF-8 in NFC with the top-level keys about, source, reviewed, events, procedures;
procedures sorted by code, each {code, name, everyday (2–6), questions (1–4), events (0–3)}, the
code a non-internal line of the national portal's list (catalog.jsonl.gz of opengov_dvcqg_catalog)
and the name that line's name, trimmed; every event id used is defined in the file's events and is
one of the agreed ids. Everyday phrases are compared without case and diacritics. Exit status 1
when anything is wrong; the counts per publisher are printed either way.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = ROOT / "knowledge" / "data" / "everyday.json"
DEFAULT_CATALOG = ROOT.parent / "shared" / "data" / "raw" / "opengov_dvcqg_catalog" / "catalog.jsonl.gz"
EVENT_IDS = frozenset(
    {
        "sinh_con",
        "ket_hon",
        "ly_hon",
        "nhan_con_nuoi",
        "nguoi_than_qua_doi",
        "thua_ke_tang_cho",
        "mua_ban_dat",
        "xay_sua_nha",
        "thue_nha_o",
        "mua_ban_xe",
        "lai_xe",
        "mo_cua_hang_kinh_doanh",
        "thanh_lap_doanh_nghiep",
        "mat_giay_to",
        "hong_sai_giay_to",
        "chuyen_noi_o",
        "di_hoc_chuyen_truong",
        "tot_nghiep_van_bang",
        "xin_viec_di_lam",
        "that_nghiep",
        "nghi_huu",
        "om_dau_tai_nan_thai_san",
        "khuyet_tat",
        "hoan_canh_kho_khan",
        "nguoi_co_cong",
        "nghia_vu_quan_su",
        "di_nuoc_ngoai",
        "nguoi_nuoc_ngoai",
        "ton_giao_tin_nguong",
        "nong_nghiep_chan_nuoi",
        "dat_rung_thuy_san",
        "xuat_nhap_khau",
        "thue_phi",
        "bao_hiem_y_te",
        "van_hoa_le_hoi",
        "an_toan_thuc_pham",
        "moi_truong",
    }
)
TOP_KEYS = ["about", "source", "reviewed", "events", "procedures"]
ENTRY_KEYS = ["code", "name", "everyday", "questions", "events"]


def fold(text: str) -> str:
    """Lower case, no diacritics, single spaces: how two phrases are judged the same."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip()


def read_catalog(path: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return {row["code"]: row for row in map(json.loads, lines)}


def check_file(path: Path, catalog: dict[str, dict[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    raw = path.read_text(encoding="utf-8")
    errors: list[str] = []
    if unicodedata.normalize("NFC", raw) != raw:
        errors.append("not NFC")
    data: dict[str, Any] = json.loads(raw)
    if list(data) != TOP_KEYS:
        errors.append(f"top-level keys {list(data)}, expected {TOP_KEYS}")
    events: dict[str, Any] = data.get("events", {})
    for key, value in events.items():
        if key not in EVENT_IDS:
            errors.append(f"event id {key!r} is not one of the agreed ids")
        if not isinstance(value, dict) or set(value) != {"label", "words"} or not value["words"]:
            errors.append(f"event {key!r} needs a label and words")
    procedures: list[dict[str, Any]] = data.get("procedures", [])
    codes = [p.get("code", "") for p in procedures]
    if codes != sorted(codes, key=lambda code: tuple(int(part) for part in code.split("."))):
        errors.append("procedures are not sorted by code")
    used: set[str] = set()
    for code, count in Counter(codes).items():
        if count > 1:
            errors.append(f"{code}: {count} entries")
    for entry in procedures:
        code = entry.get("code", "")
        if list(entry) != ENTRY_KEYS:
            errors.append(f"{code}: keys {list(entry)}, expected {ENTRY_KEYS}")
            continue
        row = catalog.get(code)
        if row is None:
            errors.append(f"{code}: not in the catalogue")
            continue
        if row["type"] == "STANDARD_INTERNAL":
            errors.append(f"{code}: internal procedure")
        if entry["name"] != unicodedata.normalize("NFC", row["name"].strip()):
            errors.append(f"{code}: name is not the catalogue's")
        if not 2 <= len(entry["everyday"]) <= 6:
            errors.append(f"{code}: {len(entry['everyday'])} everyday phrases")
        if not 1 <= len(entry["questions"]) <= 4:
            errors.append(f"{code}: {len(entry['questions'])} questions")
        if len(entry["events"]) > 3 or len(set(entry["events"])) != len(entry["events"]):
            errors.append(f"{code}: events {entry['events']}")
        for event in entry["events"]:
            used.add(event)
            if event not in events:
                errors.append(f"{code}: event {event!r} is not defined in the file")
        for text in entry["everyday"] + entry["questions"]:
            if not text or text != text.strip() or "  " in text:
                errors.append(f"{code}: badly spaced {text!r}")
    errors.extend(f"event {key!r} is defined but never used" for key in events.keys() - used)
    return [f"{path.name}: {e}" for e in errors], data


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.importers.everyday_check", description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT_FILE])
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    args = parser.parse_args()
    if not args.catalog.is_file():
        print(f"no catalogue at {args.catalog}; give --catalog PATH to catalog.jsonl.gz")
        return 2
    catalog = read_catalog(args.catalog)
    errors: list[str] = []
    owners: dict[str, list[str]] = defaultdict(list)
    phrases: dict[str, list[str]] = defaultdict(list)
    for path in args.files:
        file_errors, data = check_file(path, catalog)
        errors.extend(file_errors)
        for entry in data.get("procedures", []):
            owners[entry.get("code", "")].append(path.name)
            for phrase in entry.get("everyday", []):
                phrases[fold(phrase)].append(entry.get("code", ""))
    errors.extend(f"{code} appears in {files}" for code, files in owners.items() if len(files) > 1)
    errors.extend(f"everyday {text!r} in {codes}" for text, codes in phrases.items() if len(codes) > 1)
    publishers = Counter(catalog[c]["departmentPromulgate"] or "(none)" for c in owners if c in catalog)
    print("\n".join(errors) if errors else "everyday data OK")
    print(f"{len(owners)} procedures")
    for publisher, count in publishers.most_common():
        print(f"  {count:4d}  {publisher}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
