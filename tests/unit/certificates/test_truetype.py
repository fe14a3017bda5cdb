"""The embedded font subset without hinting: same outlines, no instructions, a valid TrueType file."""

from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont as ToolsFont
from reportlab.pdfbase.ttfonts import TTFontFile
from victim_support.documents.fonts import MINCHO_FILE
from victim_support.documents.truetype import HINTING_TABLES, strip_glyph, strip_hinting

TEXT = "罹災証明書 第R8-000123号 世帯主住所 熊本県上益城郡益城町大字木山１番地 益城　太郎 全壊 令和8年4月14日 ①ｱｲ"


@pytest.fixture(scope="module")
def subsets() -> tuple[bytes, bytes]:
    face = TTFontFile(str(MINCHO_FILE))
    hinted = face.makeSubset([ord(ch) for ch in dict.fromkeys(TEXT)])
    return hinted, strip_hinting(hinted)


def _glyphs(font: ToolsFont) -> dict[str, object]:
    return {name: font["glyf"][name] for name in font.getGlyphOrder()}


def test_the_outlines_are_unchanged_and_the_instructions_gone(subsets: tuple[bytes, bytes]) -> None:
    hinted, stripped = (ToolsFont(io.BytesIO(data), checkChecksums=2) for data in subsets)
    assert hinted.getGlyphOrder() == stripped.getGlyphOrder()
    instructed = 0
    for name, before in _glyphs(hinted).items():
        after = stripped["glyf"][name]
        if before.isComposite():
            assert [c.glyphName for c in after.components] == [c.glyphName for c in before.components]
        elif before.numberOfContours:
            assert list(after.coordinates) == list(before.coordinates), name
            assert list(after.endPtsOfContours) == list(before.endPtsOfContours), name
            assert list(after.flags) == list(before.flags), name
        program = getattr(before, "program", None)
        instructed += bool(program and program.getBytecode())
        after_program = getattr(after, "program", None)
        assert not (after_program and after_program.getBytecode()), name
    assert instructed > 0  # the source subset was hinted: the test compares something
    assert not [tag for tag in HINTING_TABLES if tag.decode() in stripped]
    assert all(tag.decode() in hinted for tag in HINTING_TABLES)  # IPAex has them: their absence means something
    assert stripped["maxp"].maxSizeOfInstructions == 0
    assert stripped["cmap"].getBestCmap() == hinted["cmap"].getBestCmap()


def test_the_subset_is_much_smaller_and_reportlab_reads_it(subsets: tuple[bytes, bytes]) -> None:
    hinted, stripped = subsets
    assert len(stripped) < 0.75 * len(hinted)
    reread = TTFontFile(io.BytesIO(stripped))  # the subset's own codes, as the PDF uses them
    assert reread.charToGlyph == TTFontFile(io.BytesIO(hinted)).charToGlyph


def test_an_empty_glyph_stays_empty() -> None:
    assert strip_glyph(b"") == b""
