"""How texts are cut into the syllables and pairs that indexing and ranking compare."""

from __future__ import annotations

from index.analysis import chunks, syllables, text_pairs, words


def test_numbers_lose_their_leading_zeros() -> None:
    assert syllables("mức độ 02") == syllables("Mức độ 2") == ["muc", "do", "2"]
    assert syllables("0 và 100") == ["0", "va", "100"]
    assert "02" not in words("Cấp tài khoản mức độ 02")


def test_punctuation_cuts_runs_and_pairs() -> None:
    assert chunks("Cấp, cấp lại giấy phép") == [["cap"], ["cap", "lai", "giay", "phep"]]
    assert text_pairs("Cấp, cấp lại") == ["cap_lai"]
