"""Name readings (氏名カナ) and 外字 detection.

Resident systems export readings as full-width katakana, half-width katakana (ｶﾀｶﾅ) or hiragana;
the system stores full-width katakana with one full-width space between surname and given name.
"""

from __future__ import annotations

import re

import jaconv
from jaconv.conv_table import H2K_TABLE, H2Z_K

FULL_WIDTH_SPACE = "\u3000"

# U+30A1..U+30FE is ァ..ヺ plus ・ (U+30FB), ー (U+30FC) and ヽヾ; U+31F0..U+31FF are the small
# katakana used for Ainu readings.
_KATAKANA = "\u30a1-\u30fe\u31f0-\u31ff"
# jaconv converts character by character in Python, so most rows (already clean) skip it.
_ALREADY_NORMAL = re.compile(f"[{_KATAKANA}]+(?:{FULL_WIDTH_SPACE}[{_KATAKANA}]+)?")

# Basic Multilingual Plane private use area; CP932's user-defined area (F040..F9FC) decodes here.
# The supplementary private use planes are included for UTF-8 files from newer systems.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")


# ``jaconv.h2z(kana=True)`` first joins each half-width kana and its (han)dakuten mark (ｶﾞ -> ガ) by
# replacing the pairs one after another, then maps single characters; ``jaconv.hira2kata`` maps
# single characters. Taken from jaconv itself below: the pairs it joins (one regex pass joins the
# same ones: no two pairs overlap and no joined character starts a pair) and the two character maps
# composed into one ``str.translate`` table. Same text as the two jaconv calls, several times faster.
_HALF_WIDTH_KANA = [chr(code) for code in range(0xFF66, 0xFF9E)]  # ｦ..ﾝ
_DAKUTEN_PAIRS: dict[str, str] = {
    pair: joined
    for pair in (base + mark for base in _HALF_WIDTH_KANA for mark in "\uff9e\uff9f")  # ﾞ ﾟ
    if len(joined := jaconv.h2z(pair, kana=True, ascii=False, digit=False)) == 1
}
_DAKUTEN_PAIR = re.compile("|".join(_DAKUTEN_PAIRS))
_H2Z_THEN_KATA: dict[int, str] = {
    code: jaconv.hira2kata(jaconv.h2z(chr(code), kana=True, ascii=False, digit=False)) for code in {*H2Z_K, *H2K_TABLE}
}


def _join_dakuten(match: re.Match[str]) -> str:
    return _DAKUTEN_PAIRS[match.group()]


def normalize_kana(text: str) -> str:
    """Full-width katakana with at most one full-width space; ValueError (without the value) otherwise."""
    if _ALREADY_NORMAL.fullmatch(text) is not None:
        return text
    if "\uff9e" in text or "\uff9f" in text:  # ﾞ ﾟ
        text = _DAKUTEN_PAIR.sub(_join_dakuten, text)
    # Runs of whitespace (str.split's, which re's \s and str.strip share; U+3000 included) become
    # one full-width space, none at the ends.
    normalized = FULL_WIDTH_SPACE.join(text.translate(_H2Z_THEN_KATA).split())
    if _ALREADY_NORMAL.fullmatch(normalized) is None:
        raise ValueError("reading must be katakana with at most one separating space")
    return normalized


def has_private_use(text: str) -> bool:
    """Whether the text holds 外字 (private-use characters) that need the municipality's mapping."""
    return _PRIVATE_USE.search(text) is not None
