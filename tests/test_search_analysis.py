"""How texts are cut into the syllables and pairs that indexing and ranking compare."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from index.analysis import chunks, syllables, text_pairs, words


def test_numbers_lose_their_leading_zeros() -> None:
    assert syllables("mức độ 02") == syllables("Mức độ 2") == ["muc", "do", "2"]
    assert syllables("0 và 100") == ["0", "va", "100"]
    assert "02" not in words("Cấp tài khoản mức độ 02")


def test_punctuation_cuts_runs_and_pairs() -> None:
    assert chunks("Cấp, cấp lại giấy phép") == [["cap"], ["cap", "lai", "giay", "phep"]]
    assert text_pairs("Cấp, cấp lại") == ["cap_lai"]


# Run in a fresh interpreter: underthesea must not have loaded its model yet. The barrier makes every
# thread ask for its first segmentation at once, which crashed underthesea before index.analysis
# serialised the first use.
_PARALLEL_FIRST_USE = """
import threading
from concurrent.futures import ThreadPoolExecutor

from index.analysis import words

barrier = threading.Barrier(8)


def segment(number):
    barrier.wait()
    return words(f"đăng ký khai sinh cho con thứ {number}")


with ThreadPoolExecutor(8) as pool:
    found = list(pool.map(segment, range(8)))
assert found == [words(f"đăng ký khai sinh cho con thứ {n}") for n in range(8)], found
print(found[0])
"""


def test_parallel_first_segmentations_do_not_crash() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PARALLEL_FIRST_USE],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    assert "đăng_ký" in done.stdout
