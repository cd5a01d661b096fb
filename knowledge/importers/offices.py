"""One-stop offices of the communes of Đà Nẵng: address, phone and position.

Source (under ``<shared>/data/raw``; read its SOURCE.md): ``danang_commune_offices_duckvhuynh``, the
94 units of the new Thành phố Đà Nẵng (1 July 2025) with the address, phone and coordinates of each
commune's headquarters, from a public map application (no licence; the author does not say where the
phones come from). Every phone is therefore written ``"phone_verified": false``, and the card shows it
with a note to check it. Units are joined by name inside province 48 of the bundled units file.

Entries of ``offices.json`` from other sources (written by hand, with their own ``source``) are kept.
The output is deterministic (sorted by unit code) so that a rebuild of unchanged sources leaves the
committed file byte-for-byte the same.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from knowledge.units import fold

RAW = Path("danang_commune_offices_duckvhuynh") / "administrative-information.json"
PROVINCE = "48"  # Thành phố Đà Nẵng (2025)
SOURCE = (
    "github.com/duckvhuynh/danang-hanhchinh, commit a04a3ba653af5e49a982542dc24a41999276ed74, "
    "src/data/administrative-information.json (thêm ngày 29/6/2025)"
)
DATE = "2025-06-29"
DESCRIPTION = (
    "Thông tin bộ phận một cửa (Trung tâm phục vụ hành chính công, bộ phận tiếp nhận và trả kết quả) "
    "của từng đơn vị. Mỗi mục: unit = mã đơn vị (mã trần là đơn vị 2025); name, address, phone, hours, "
    "staff_on_duty: chuỗi, có thể bỏ trống; latitude, longitude: tọa độ (để mở bản đồ); phone_verified: "
    "false nếu số điện thoại chưa được đối chiếu với trang của chính xã (thẻ thủ tục sẽ ghi chú); "
    "source: nguồn thông tin. Không có mục nào được phát minh. Các mục của Đà Nẵng do "
    "knowledge/importers/offices.py sinh ra; các mục có nguồn khác được giữ nguyên khi sinh lại."
)
NOTE = (
    "Đà Nẵng: địa chỉ, điện thoại, tọa độ trụ sở 94 xã, phường, đặc khu theo ứng dụng bản đồ công khai "
    "'Đà Nẵng Mới – Tra cứu phường xã' (không có giấy phép; tác giả không nêu nguồn số điện thoại), dữ liệu "
    "công bố ngay trước 1/7/2025. Số điện thoại chưa được kiểm chứng."
)


def _bare(name: str) -> str:
    """A unit name without its kind: "Phường Hải Châu" → "hai chau"."""
    folded = fold(name)
    for prefix in ("phuong ", "xa ", "dac khu ", "thi tran "):
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def _communes(units_path: Path) -> dict[str, str]:
    document = json.loads(gzip.decompress(units_path.read_bytes()))
    return {
        _bare(unit["name"]): unit["code"]
        for unit in document["units"]
        if unit["era"] == "2025" and unit["parent"] == PROVINCE
    }


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split()).rstrip(" ,")
    return cleaned or None


def offices(raw: dict[str, Any], communes: dict[str, str]) -> list[dict[str, Any]]:
    """The offices.json entries for the source's units; raises ValueError for a unit it cannot place."""
    entries = []
    for item in raw["commune_ward_list"]:
        name = item["new_commune_ward"]
        code = communes.get(_bare(name))
        if code is None:
            raise ValueError(f"{name}: no 2025 unit of that name in province {PROVINCE}")
        location = item.get("location") or {}
        entry: dict[str, Any] = {"unit": code, "address": _text(location.get("address"))}
        phone = _text(location.get("phone"))
        if phone:
            entry["phone"] = phone
            entry["phone_verified"] = False
        if location.get("latitude") is not None and location.get("longitude") is not None:
            entry["latitude"] = round(float(location["latitude"]), 6)
            entry["longitude"] = round(float(location["longitude"]), 6)
        entry["source"] = SOURCE
        entries.append(entry)
    codes = [entry["unit"] for entry in entries]
    if len(set(codes)) != len(codes):
        raise ValueError("two units of the source have the same 2025 code")
    return entries


def build(shared: Path, output: Path, units: Path | None = None) -> str:
    """Write ``output`` (offices.json) from the raw data under ``shared``; returns a summary line."""
    raw = json.loads((shared / "data" / "raw" / RAW).read_text(encoding="utf-8"))
    units = units or output.parent / "units.json.gz"
    entries = offices(raw, _communes(units))
    kept: list[dict[str, Any]] = []
    if output.exists():
        previous = json.loads(output.read_text(encoding="utf-8"))
        kept = [entry for entry in previous.get("offices", []) if entry.get("source") != SOURCE]
    placed = {entry["unit"] for entry in entries}
    merged = sorted(
        [*entries, *(entry for entry in kept if entry.get("unit") not in placed)], key=lambda e: e["unit"]
    )
    document = {"description": DESCRIPTION, "sources": [{"source": SOURCE, "date": DATE, "note": NOTE}]}
    document["offices"] = merged
    output.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with_phone = sum(1 for entry in entries if entry.get("phone"))
    kept_count = len(merged) - len(entries)
    return f"{len(entries)} Đà Nẵng offices ({with_phone} with an unverified phone), {kept_count} kept"
