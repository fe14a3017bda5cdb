"""Search keys for finding a person in the victim ledger (被災者台帳).

The ledger stores these keys next to each person and compares a query's key with them by prefix, so
a person is found whatever width, spacing or kana form the record or the query was typed in. Keys are
for comparison only: they are never shown and never written back to the record. An empty key
(an empty or all-space query) is a prefix of every key, so callers refuse empty queries.

- ``kana_key``: ``"ﾔﾏﾀﾞ ﾀﾛｳ"``, ``"やまだ　たろう"`` and ``"ヤマダ・タロウ"`` all give ``"ヤマダタロウ"``.
- ``name_key``: ``"山田　太郎"`` and ``"山田 太郎"`` give ``"山田太郎"``; ``"ＳＭＩＴＨ John"`` gives ``"smithjohn"``.
- ``address_key``: ``"宮園1丁目2番3号"``, ``"宮園1-2-3"``, ``"宮園１－２－３"`` and ``"宮園一丁目2番3号"`` give
  ``"宮園1-2-3"``.
- ``birth_key``: ``date(1970, 3, 12)``, ``"S45.3.12"``, ``"昭和45年3月12日"`` and ``"19700312"`` give
  ``"1970-03-12"``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import jaconv

from victim_support.rules.wareki import parse_date_iso

# \s covers the ASCII spaces and U+3000 (full-width space); zero-width spaces and the BOM are not
# spaces to Python but are invisible, so they would make equal-looking keys differ.
_SPACES = re.compile(r"[\s\u200b\ufeff]+")
# Middle dots after NFKC (half-width ･ has become ・) separate surname and given name in readings.
_MIDDLE_DOTS = re.compile("[・·•‧∙⋅]")
# Characters typed for the long vowel mark in readings, after NFKC (ｰ is ー, － is -).
_LONG_VOWEL_VARIANTS = re.compile("[-‐‒–—―−─━]")
# Dashes that are never anything but a separator in an address, after NFKC (－ and ﹣ are -).
_DASHES = re.compile("[‐‒–—―−⁃─━]")


def kana_key(text: str) -> str:
    """The reading as full-width katakana without spaces or middle dots.

    NFKC turns half-width katakana into full-width (``"ｶﾞ"`` → ``"ガ"``, dakuten joined), hiragana becomes
    katakana (``"がっこう"`` → ``"ガッコウ"``), small kana stay small (``"ッ"`` is not ``"ツ"``), and every
    long-vowel look-alike (``ｰ ー − ‐ -``) becomes ``ー``: ``"ﾕｰｺ"``, ``"ゆーこ"`` and ``"ユ-コ"`` give ``"ユーコ"``.
    """
    converted = jaconv.hira2kata(unicodedata.normalize("NFKC", text))
    converted = _LONG_VOWEL_VARIANTS.sub("ー", converted)
    converted = _MIDDLE_DOTS.sub("", _SPACES.sub("", converted))
    # NFKC turns a spacing ゛ into a space and a combining mark; with the space gone, NFC joins it again.
    return unicodedata.normalize("NFC", converted)


def name_key(text: str) -> str:
    """The name after NFKC, without spaces, latin letters case-folded.

    Old and new character forms (旧字体/新字体: 髙/高, 齋/斎, 邊/辺) are different characters and stay
    different: a record keeps the form the person registered, and folding them would need a variant
    table the resident systems do not share. NFKC itself folds only the CJK compatibility ideographs
    that Unicode defines as duplicates (U+FA19 神 → U+795E 神). ``"山田　太郎"`` → ``"山田太郎"``,
    ``"Ｊｏｈｎ　SMITH"`` → ``"johnsmith"``.
    """
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


# 丁目 written in kanji numerals (一丁目..九十九丁目).
_KANJI_CHOME = re.compile("([一二三四五六七八九十]{1,3})丁目")
_KANJI_DIGITS = {kanji: value for value, kanji in enumerate("一二三四五六七八九", start=1)}
# Whitespace between two numbers separates them: removing it would join "1-2-3 101" into "1-2-3101".
_SPACE_BETWEEN_NUMBERS = re.compile(r"(?<=[0-9])[\s\u200b\ufeff]+(?=[0-9])")
_LONG_VOWEL_AFTER_DIGIT = re.compile("(?<=[0-9])[ー]")
# Designators between two numbers become a hyphen: 1丁目2番地の3 → 1-2-3.
_DESIGNATOR_BETWEEN_NUMBERS = re.compile("(?<=[0-9])(?:丁目|番地の?|番の?|号の?|の)(?=[0-9])")
# A designator after the last number is dropped (宮園1丁目2番3号 → 宮園1-2-3), except 号 of a
# building or room (3号棟, 101号室, 2号館), which names something else.
_TRAILING_DESIGNATOR = re.compile("(?<=[0-9])(?:丁目|番地|番|号(?![棟室館]))(?![0-9])")
_REPEATED_HYPHENS = re.compile("-{2,}")
_TRAILING_HYPHEN = re.compile("(?<=[0-9])-(?![0-9])")


def _kanji_number(text: str) -> int | None:
    """1..99 from 一..九十九 (``"十"``, ``"二十"``, ``"十三"``, ``"二十三"``); None for anything else."""
    tens, ten, ones = text.partition("十")
    if not ten:
        return _KANJI_DIGITS.get(text) if len(text) == 1 else None
    if len(tens) > 1 or len(ones) > 1:
        return None
    tens_value = 1 if not tens else _KANJI_DIGITS.get(tens)
    ones_value = 0 if not ones else _KANJI_DIGITS.get(ones)
    if tens_value is None or ones_value is None:
        return None
    return tens_value * 10 + ones_value


def _chome_to_digits(match: re.Match[str]) -> str:
    number = _kanji_number(match.group(1))
    return match.group(0) if number is None else f"{number}丁目"


def address_key(text: str) -> str:
    """The address with its block numbers (丁目・番地・号) written one way: digits joined by hyphens.

    NFKC makes digits and latin half-width; spaces go (a space between two numbers becomes a hyphen);
    every dash between numbers (``－ ‐ ― −``, and ``ー``/``ｰ`` after a digit) becomes ``-``; 丁目, 番地,
    番 and 号 between numbers become ``-`` and are dropped after the last number; ``の`` between numbers
    (``2番地の3``) is a hyphen too; 一丁目..九十九丁目 are read as numbers. ``"宮園1丁目2番3号"``,
    ``"宮園1-2-3"``, ``"宮園１－２－３"`` and ``"宮園一丁目2番地の3"`` all give ``"宮園1-2-3"``.

    Only digits and these separators are folded: 大字/字, place names, kanji numerals elsewhere
    (``三番地``) and building names are kept as written, because folding them could merge different
    places.
    """
    converted = unicodedata.normalize("NFKC", text)
    converted = _SPACES.sub("", _SPACE_BETWEEN_NUMBERS.sub("-", converted))
    converted = _KANJI_CHOME.sub(_chome_to_digits, converted)
    converted = _LONG_VOWEL_AFTER_DIGIT.sub("-", _DASHES.sub("-", converted))
    converted = _DESIGNATOR_BETWEEN_NUMBERS.sub("-", converted)
    converted = _TRAILING_DESIGNATOR.sub("", converted)
    return _TRAILING_HYPHEN.sub("", _REPEATED_HYPHENS.sub("-", converted))


def birth_key(value: date | str) -> str:
    """The birth date as ISO ``YYYY-MM-DD`` from a date or any form ``wareki.parse_date`` reads.

    ``"S45.3.12"``, ``"昭和45年3月12日"``, ``"1970/03/12"``, ``"19700312"`` → ``"1970-03-12"``; a
    ``datetime`` counts by its date. ValueError (without the value: it is personal data) otherwise.
    """
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return parse_date_iso(value)
