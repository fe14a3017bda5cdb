from __future__ import annotations

import re

import jaconv
import pytest
from hypothesis import given
from hypothesis import strategies as st
from victim_support.rules.kana import has_private_use, normalize_kana


def test_clean_full_width_katakana_is_returned_unchanged() -> None:
    reading = "ヤマダ\u3000タロウ"
    assert normalize_kana(reading) is reading


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ\u3000タロウ"),
        ("ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ", "ガギグ\u3000パピ"),
        ("やまだ　たろう", "ヤマダ\u3000タロウ"),
        ("やまだ  たろう", "ヤマダ\u3000タロウ"),
        (" ヤマダ タロウ ", "ヤマダ\u3000タロウ"),
        ("ｽﾐｽ･ｼﾞｮﾝ", "スミス・ジョン"),
        ("ﾕｰｺ", "ユーコ"),
        ("ヤマダタロウ", "ヤマダタロウ"),
    ],
)
def test_half_width_kana_and_hiragana_become_full_width_katakana(text: str, expected: str) -> None:
    assert normalize_kana(text) == expected


@pytest.mark.parametrize("text", ["", "山田 太郎", "ヤマダ タロウ ジロウ", "ヤマダ1", "yamada", "ヤマダ\u3000"])
def test_anything_but_katakana_with_one_separating_space_is_rejected(text: str) -> None:
    if text == "ヤマダ\u3000":  # a trailing space is trimmed, not an error
        assert normalize_kana(text) == "ヤマダ"
        return
    with pytest.raises(ValueError, match="katakana") as raised:
        normalize_kana(text)
    assert text not in str(raised.value) or not text


def test_private_use_characters_are_detected_as_gaiji() -> None:
    assert has_private_use("山\ue000太郎")
    assert has_private_use("\U000f0001")
    assert not has_private_use("山田\u3000太郎")


def test_cp932_user_defined_area_decodes_to_private_use() -> None:
    decoded = b"\x8eR\xf0\x40".decode("cp932")  # 山 + the first user-defined character
    assert has_private_use(decoded)


def _jaconv_reading(text: str) -> str | None:
    """normalize_kana as first written, straight through jaconv: the reference for the faster one."""
    if re.fullmatch("[\u30a1-\u30fe\u31f0-\u31ff]+(?:\u3000[\u30a1-\u30fe\u31f0-\u31ff]+)?", text):
        return text
    converted = jaconv.hira2kata(jaconv.h2z(text, kana=True, ascii=False, digit=False))
    normalized = re.sub(r"\s+", "\u3000", converted.strip())
    if re.fullmatch("[\u30a1-\u30fe\u31f0-\u31ff]+(?:\u3000[\u30a1-\u30fe\u31f0-\u31ff]+)?", normalized) is None:
        return None
    return normalized


_READING_ALPHABET = (
    [chr(code) for code in range(0x3041, 0x3100)]  # hiragana, katakana
    + [chr(code) for code in range(0xFF61, 0xFFA0)]  # half-width katakana and marks
    + ["\uff9e", "\uff9f"] * 8
    + [" ", "\u3000", "\t", "\u00a0", "\u2003", "a", "Ａ", "1", "山", "ー", "･"]
)


@given(st.lists(st.sampled_from(_READING_ALPHABET), max_size=10).map("".join))
def test_normalize_kana_gives_what_jaconv_gives(text: str) -> None:
    try:
        reading: str | None = normalize_kana(text)
    except ValueError:
        reading = None
    assert reading == _jaconv_reading(text)
