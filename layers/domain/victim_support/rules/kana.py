"""Name readings (氏名カナ) and 外字 detection.

Resident systems export readings as full-width katakana, half-width katakana (ｶﾀｶﾅ) or hiragana;
the system stores full-width katakana with one full-width space between surname and given name.
"""

from __future__ import annotations

import re

import jaconv

FULL_WIDTH_SPACE = "\u3000"

# U+30A1..U+30FE is ァ..ヺ plus ・ (U+30FB), ー (U+30FC) and ヽヾ; U+31F0..U+31FF are the small
# katakana used for Ainu readings.
_KATAKANA = "\u30a1-\u30fe\u31f0-\u31ff"
# jaconv converts character by character in Python, so most rows (already clean) skip it.
_ALREADY_NORMAL = re.compile(f"[{_KATAKANA}]+(?:{FULL_WIDTH_SPACE}[{_KATAKANA}]+)?")
_SPACES = re.compile(r"\s+")  # \s includes U+3000 for str patterns

# Basic Multilingual Plane private use area; CP932's user-defined area (F040..F9FC) decodes here.
# The supplementary private use planes are included for UTF-8 files from newer systems.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff]")


def normalize_kana(text: str) -> str:
    """Full-width katakana with at most one full-width space; ValueError (without the value) otherwise."""
    if _ALREADY_NORMAL.fullmatch(text) is not None:
        return text
    converted = jaconv.hira2kata(jaconv.h2z(text, kana=True, ascii=False, digit=False))
    normalized = _SPACES.sub(FULL_WIDTH_SPACE, converted.strip())  # str.strip covers U+3000
    if _ALREADY_NORMAL.fullmatch(normalized) is None:
        raise ValueError("reading must be katakana with at most one separating space")
    return normalized


def has_private_use(text: str) -> bool:
    """Whether the text holds 外字 (private-use characters) that need the municipality's mapping."""
    return _PRIVATE_USE.search(text) is not None
