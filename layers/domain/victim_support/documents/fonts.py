"""Japanese fonts embedded in every PDF the system writes.

IPAex明朝 (the mincho style of official documents) ships inside the package with its licence
(IPA Font License v1.0, which allows redistribution); nothing is downloaded at run time. reportlab
embeds only the glyphs a document uses (a subset).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
MINCHO = "IPAexMincho"
MINCHO_FILE = FONT_DIR / "ipaexm.ttf"


@lru_cache(maxsize=1)
def mincho() -> str:
    """Register IPAex明朝 once per process and return its reportlab name."""
    pdfmetrics.registerFont(TTFont(MINCHO, str(MINCHO_FILE)))
    return MINCHO


def missing_characters(text: str, font_name: str | None = None) -> list[str]:
    """Characters of ``text`` the font has no glyph for (they would print as blank boxes)."""
    font = pdfmetrics.getFont(font_name or mincho())
    glyphs = font.face.charToGlyph  # type: ignore[attr-defined]
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in glyphs})
