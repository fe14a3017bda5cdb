"""Seal images: what registration accepts and refuses, and which seal a certificate uses."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date

import pytest
from PIL import Image, ImageDraw
from victim_support.certificates.seals import (
    MAX_SEAL_BYTES,
    PNG_SIGNATURE,
    SealUploadRequest,
    png_info,
    printable_seal,
    seal_in_force,
    validate_seal_png,
)
from victim_support.certificates.store import SealRecord
from victim_support.errors import DomainError


def png(size: tuple[int, int] = (240, 236), *, mode: str = "RGBA", background: tuple[int, ...] = (0, 0, 0, 0),
        ring: tuple[int, ...] = (200, 30, 30, 230)) -> bytes:
    image = Image.new(mode, size, background[:len(mode)])
    ImageDraw.Draw(image).ellipse((8, 8, size[0] - 8, size[1] - 8), outline=ring[:len(mode)], width=12)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def code_of(data: bytes) -> tuple[str, str | None]:
    with pytest.raises(DomainError) as refused:
        validate_seal_png(data)
    return refused.value.code, refused.value.detail


def test_a_transparent_seal_is_accepted() -> None:
    info = validate_seal_png(png())
    assert (info.width, info.height, info.colour_type, info.has_alpha) == (240, 236, 6, True)


def test_a_seal_on_a_white_background_is_accepted_and_printed_transparent() -> None:
    white = png(mode="RGB", background=(255, 255, 255))
    assert not validate_seal_png(white).has_alpha
    printed = Image.open(io.BytesIO(printable_seal(white))).convert("RGBA")
    corner, ring = printed.getpixel((0, 0)), printed.getpixel((120, 8 + 6))
    assert isinstance(corner, tuple) and corner[3] == 0  # the white corner is now transparent
    assert isinstance(ring, tuple) and ring[3] == 255  # the red ring is not
    assert printable_seal(png()) == png()  # transparency already: unchanged


def test_a_palette_png_with_transparency_counts_as_alpha() -> None:
    image = Image.new("P", (200, 200), 0)
    image.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    ImageDraw.Draw(image).ellipse((8, 8, 190, 190), outline=1, width=10)
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    assert validate_seal_png(out.getvalue()).has_alpha


@pytest.mark.parametrize("data", [b"GIF89a" + bytes(100), b"\xff\xd8\xff\xe0" + bytes(100), b"", b"%PDF-1.7"])
def test_anything_but_a_png_is_invalid(data: bytes) -> None:
    assert code_of(data)[0] == "CERTIFICATE_SEAL_INVALID"


def test_a_damaged_header_or_image_is_invalid() -> None:
    good = png()
    crc_broken = bytearray(good)
    crc_broken[len(PNG_SIGNATURE) + 8 + 13] ^= 0xFF  # IHDR's CRC
    assert code_of(bytes(crc_broken)) == ("CERTIFICATE_SEAL_INVALID", "chunk CRC mismatch")
    assert code_of(good[:60])[0] == "CERTIFICATE_SEAL_INVALID"  # truncated in the image data
    # A well-formed IHDR with image data that does not decode.
    ihdr = struct.pack(">IIBBBBB", 200, 200, 8, 6, 0, 0, 0)
    junk = b"not zlib data"

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    forged = PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", junk) + chunk(b"IEND", b"")
    assert code_of(forged) == ("CERTIFICATE_SEAL_INVALID", "the image data does not decode")


def test_a_file_over_one_mebibyte_is_rejected_before_it_is_parsed() -> None:
    assert code_of(PNG_SIGNATURE + bytes(MAX_SEAL_BYTES))[0] == "CERTIFICATE_SEAL_REJECTED"


@pytest.mark.parametrize("size", [(99, 99), (60, 60), (2001, 2001), (400, 200), (200, 260)],
                         ids=["just-too-small", "thumbnail", "too-large", "strip", "not-square"])
def test_bad_dimensions_are_rejected(size: tuple[int, int]) -> None:
    code, detail = code_of(png(size))
    assert code == "CERTIFICATE_SEAL_REJECTED" and detail is not None and f"{size[0]}x{size[1]}" in detail


@pytest.mark.parametrize("size", [(100, 100), (2000, 1800), (250, 200)])
def test_dimensions_at_the_limits_are_accepted(size: tuple[int, int]) -> None:
    assert (png_info(png(size)).width, png_info(png(size)).height) == size
    validate_seal_png(png(size))


def test_a_coloured_background_is_rejected() -> None:
    assert code_of(png(background=(30, 30, 200, 255))) == (
        "CERTIFICATE_SEAL_REJECTED", "the background must be transparent or white")
    assert code_of(png(mode="RGB", background=(250, 250, 200)))[0] == "CERTIFICATE_SEAL_REJECTED"


def _seal(seal_id: str, valid_from: date, version: int | None, status: str = "registered") -> SealRecord:
    return SealRecord(municipality_code="434434", seal_id=seal_id, status=status,
                      version=version, mayor_title="益城町長", mayor_name=seal_id, valid_from=valid_from,
                      filename="s.png", size_bytes=1, sha256="0" * 64, object_key="k", created_at="t",
                      created_by="u")


def test_the_seal_in_force_is_the_latest_valid_on_the_date() -> None:
    seals = [_seal("old", date(2020, 4, 1), 1), _seal("new", date(2024, 5, 1), 2),
             _seal("future", date(2030, 1, 1), 3), _seal("pending", date(2024, 6, 1), None, "pending"),
             _seal("rejected", date(2024, 6, 1), None, "rejected"), _seal("same-day-later", date(2024, 5, 1), 4)]
    assert seal_in_force(seals, date(2019, 1, 1)) is None
    assert seal_in_force(seals, date(2024, 4, 30)).seal_id == "old"  # type: ignore[union-attr]
    assert seal_in_force(seals, date(2024, 5, 1)).seal_id == "same-day-later"  # type: ignore[union-attr]
    assert seal_in_force(seals, date(2029, 12, 31)).seal_id == "same-day-later"  # type: ignore[union-attr]
    assert seal_in_force(seals, date(2030, 1, 1)).seal_id == "future"  # type: ignore[union-attr]


def test_an_upload_request_refuses_control_characters_and_oversize() -> None:
    base = {"filename": "公印.png", "size_bytes": 1000, "sha256": "a" * 64, "mayor_title": "益城町長",
            "mayor_name": "西村博則", "valid_from": "2024-04-01"}
    SealUploadRequest.model_validate(base)
    for bad in ({"mayor_name": "西村\n博則"}, {"size_bytes": MAX_SEAL_BYTES + 1}, {"sha256": "xyz"}):
        with pytest.raises(ValueError, match="validation error"):
            SealUploadRequest.model_validate({**base, **bad})
