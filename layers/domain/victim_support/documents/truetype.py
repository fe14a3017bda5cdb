"""TrueType hinting removed from an embedded font subset: the outlines stay, the grid-fitting goes.

A certificate's embedded IPAex明朝 subset is mostly TrueType instructions (hinting: programs that snap
outlines to a screen's pixel grid at small sizes). A printed or zoomed A4 page never needs them, and
PDF viewers rasterise without them well; without them the subset is about 40 % smaller.

``strip_hinting`` rewrites one subset, as reportlab makes it for a document, never the font file that
ships: the ``glyf`` table without each glyph's instructions (simple and composite glyphs), ``loca``
for the new offsets, ``maxp.maxSizeOfInstructions`` = 0, and without the ``fpgm``, ``prep`` and
``cvt `` tables that only instructions use. Table checksums and ``head.checkSumAdjustment`` are
recomputed by reportlab's ``TTFontMaker``. Plain ``struct`` on bytes: this runs for every document,
and a font library's import and parse would cost more than the whole transformation.
"""

from __future__ import annotations

import struct

from reportlab.pdfbase.ttfonts import TTFontMaker

HINTING_TABLES = frozenset({b"fpgm", b"prep", b"cvt "})
_ARG_1_AND_2_ARE_WORDS = 0x0001
_WE_HAVE_A_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_WE_HAVE_AN_X_AND_Y_SCALE = 0x0040
_WE_HAVE_A_TWO_BY_TWO = 0x0080
_WE_HAVE_INSTRUCTIONS = 0x0100


def _tables(font: bytes) -> dict[bytes, bytes]:
    (count,) = struct.unpack_from(">H", font, 4)
    tables: dict[bytes, bytes] = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sLLL", font, 12 + 16 * i)
        tables[tag] = font[offset:offset + length]
    return tables


def _simple_without_instructions(glyph: bytes) -> bytes:
    (contours,) = struct.unpack_from(">h", glyph, 0)
    at = 10 + 2 * contours  # past the header and endPtsOfContours
    (length,) = struct.unpack_from(">H", glyph, at)
    return glyph[:at] + b"\x00\x00" + glyph[at + 2 + length:]


def _composite_without_instructions(glyph: bytes) -> bytes:
    at, flags, last_flags_at = 10, _MORE_COMPONENTS, 10
    while flags & _MORE_COMPONENTS:
        last_flags_at = at
        (flags,) = struct.unpack_from(">H", glyph, at)
        at += 4 + (4 if flags & _ARG_1_AND_2_ARE_WORDS else 2)
        if flags & _WE_HAVE_A_SCALE:
            at += 2
        elif flags & _WE_HAVE_AN_X_AND_Y_SCALE:
            at += 4
        elif flags & _WE_HAVE_A_TWO_BY_TWO:
            at += 8
    if not flags & _WE_HAVE_INSTRUCTIONS:
        return glyph[:at]
    cleared = struct.pack(">H", flags & ~_WE_HAVE_INSTRUCTIONS)
    return glyph[:last_flags_at] + cleared + glyph[last_flags_at + 2:at]


def strip_glyph(glyph: bytes) -> bytes:
    """One ``glyf`` entry without its instructions (an empty glyph stays empty)."""
    if not glyph:
        return glyph
    (contours,) = struct.unpack_from(">h", glyph, 0)
    return _composite_without_instructions(glyph) if contours < 0 else _simple_without_instructions(glyph)


def strip_hinting(font: bytes) -> bytes:
    """The TrueType ``font`` (a subset) with the same glyph outlines and no hinting."""
    tables = _tables(font)
    head, maxp = tables[b"head"], tables[b"maxp"]
    (long_offsets,) = struct.unpack_from(">h", head, 50)
    (glyph_count,) = struct.unpack_from(">H", maxp, 4)
    if long_offsets:
        offsets = list(struct.unpack_from(f">{glyph_count + 1}L", tables[b"loca"]))
    else:
        offsets = [o * 2 for o in struct.unpack_from(f">{glyph_count + 1}H", tables[b"loca"])]
    glyf = tables[b"glyf"]
    parts: list[bytes] = []
    new_offsets = [0]
    for n in range(glyph_count):
        glyph = strip_glyph(glyf[offsets[n]:offsets[n + 1]])
        glyph += b"\x00" * (-len(glyph) % 4)  # 4-byte aligned, so short offsets stay valid
        parts.append(glyph)
        new_offsets.append(new_offsets[-1] + len(glyph))
    if new_offsets[-1] // 2 > 0xFFFF:
        loca, long_offsets = struct.pack(f">{len(new_offsets)}L", *new_offsets), 1
    else:
        loca, long_offsets = struct.pack(f">{len(new_offsets)}H", *(o // 2 for o in new_offsets)), 0
    tables[b"glyf"] = b"".join(parts)
    tables[b"loca"] = loca
    tables[b"head"] = head[:50] + struct.pack(">h", long_offsets) + head[52:]
    if len(maxp) >= 28:  # version 1.0: maxSizeOfInstructions at 26
        tables[b"maxp"] = maxp[:26] + b"\x00\x00" + maxp[28:]
    maker = TTFontMaker()
    for tag, data in tables.items():
        if tag not in HINTING_TABLES:
            maker.add(tag.decode("latin-1"), data)
    stream: bytes = maker.makeStream()
    return stream
