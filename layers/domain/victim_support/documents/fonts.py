"""Japanese fonts embedded in every PDF the system writes.

IPAex明朝 (the mincho style of official documents) ships inside the package with its licence
(IPA Font License v1.0, which allows redistribution); nothing is downloaded at run time. reportlab
embeds only the glyphs a document uses (a subset).

IPAex明朝 covers JIS X 0213 but not every character of the 文字情報基盤 set that residents' names are
registered in (𠮷 U+20BB7, for one). Those characters print with IPAmj明朝, the fallback: 46 MB, so it
is not committed but fetched at build time by ``python -m infra.fonts`` into the same ``fonts/``
directory, and ships inside the domain layer like the primary font. ``font_runs`` splits a text by
the font that has each character; a character neither font has (a municipality's own 外字 in the
private-use area) is refused rather than printed as a blank box.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from victim_support.documents.truetype import strip_hinting
from victim_support.errors import DomainError

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
MINCHO = "IPAexMincho"
MINCHO_FILE = FONT_DIR / "ipaexm.ttf"
FALLBACK_MINCHO = "IPAmjMincho"
FALLBACK_MINCHO_FILE = FONT_DIR / "ipamjm.ttf"


class FontNotInstalledError(RuntimeError):
    """A font that must ship inside the build is missing: a build defect, not bad input."""


# reportlab writes a ToUnicode entry beyond the BMP as bare hex (<20BB7>), which PDF readers reject;
# the CMap needs UTF-16BE, i.e. a surrogate pair (<D842DFB7>), or 𠮷 cannot be searched or copied.
_ASTRAL_ENTRY = re.compile(r"<([0-9A-F]{2})> <([0-9A-F]{5,6})>")


def _utf16_entry(match: re.Match[str]) -> str:
    utf16 = chr(int(match.group(2), 16)).encode("utf-16-be").hex().upper()
    return f"<{match.group(1)}> <{utf16}>"


class _TTFont(TTFont):
    """A TrueType font whose ToUnicode CMaps map characters beyond the BMP correctly, embedded as a
    subset without hinting (``truetype.strip_hinting``: about 40 % smaller, same outlines)."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        make_subset = self.face.makeSubset

        def unhinted_subset(subset: Any) -> bytes:
            return strip_hinting(make_subset(subset))

        setattr(self.face, "makeSubset", unhinted_subset)  # noqa: B010 - replacing a bound method

    def addObjects(self, doc: Any) -> None:
        super().addObjects(doc)
        for name, obj in doc.idToObject.items():
            if name.startswith("toUnicodeCMap:") and isinstance(getattr(obj, "content", None), str):
                obj.content = _ASTRAL_ENTRY.sub(_utf16_entry, obj.content)


@lru_cache(maxsize=1)
def mincho() -> str:
    """Register IPAex明朝 once per process and return its reportlab name."""
    pdfmetrics.registerFont(_TTFont(MINCHO, str(MINCHO_FILE)))
    return MINCHO


@lru_cache(maxsize=1)
def fallback_mincho() -> str:
    """Register IPAmj明朝 once per process and return its reportlab name.

    Only documents with a character IPAex明朝 lacks need it, so ``font_runs`` loads it on demand.
    """
    if not FALLBACK_MINCHO_FILE.is_file():
        raise FontNotInstalledError(
            f"the fallback font {FALLBACK_MINCHO_FILE.name} is not installed in {FONT_DIR}: "
            "run `python -m infra.fonts` (the build does this) before building or testing"
        )
    pdfmetrics.registerFont(_TTFont(FALLBACK_MINCHO, str(FALLBACK_MINCHO_FILE)))
    return FALLBACK_MINCHO


def _glyphs(font_name: str) -> dict[int, int]:
    glyphs: dict[int, int] = pdfmetrics.getFont(font_name).face.charToGlyph  # type: ignore[attr-defined]
    return glyphs


def missing_characters(text: str, font_name: str | None = None) -> list[str]:
    """Characters of ``text`` the font has no glyph for (they would print as blank boxes)."""
    glyphs = _glyphs(font_name or mincho())
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in glyphs})


def font_runs(text: str) -> list[tuple[str, str]]:
    """``text`` as consecutive ``(font name, substring)`` runs: IPAex明朝 wherever it has the glyph,
    IPAmj明朝 otherwise.

    A character neither font has raises ``DomainError("CERTIFICATE_GLYPH_MISSING")`` whose detail is
    the code point (``U+E000``): never the text, which is personal data.
    """
    primary = mincho()
    primary_glyphs = _glyphs(primary)
    runs: list[tuple[str, str]] = []
    for ch in text:
        if ord(ch) in primary_glyphs:
            font = primary
        else:
            font = fallback_mincho()
            if ord(ch) not in _glyphs(font):
                raise DomainError("CERTIFICATE_GLYPH_MISSING", detail=f"U+{ord(ch):04X}")
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs
