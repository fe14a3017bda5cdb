"""公印登録: the mayor's official seal image, registered with the mayor's title and name.

Staff ask for an upload (``request_seal_upload``: a presigned PUT whose size and SHA-256 are signed
into the URL, like resident uploads), PUT the PNG, then confirm it (``confirm_seal``): the stored
object is read and checked, and only then registered with the next version number. What a seal image
must be (``validate_seal_png``):

* a PNG (signature, an IHDR chunk with a valid CRC, an image that decodes completely), at most 1 MiB;
* 100 to 2000 pixels on each side and square-ish (the longer side at most 1.25 × the shorter): the
  render scales it into a 24 mm square, so a strip or a thumbnail would print badly;
* a transparent or white background, judged by the four corner pixels (a round or square seal never
  reaches the corners): each must be transparent (alpha ≤ 16) or white (R, G and B ≥ 240). A white
  background is made transparent before printing (``printable_seal``), so the seal never hides the
  mayor's name it is stamped over.

A certificate uses the seal in force on its date of issue: the registered seal with the latest
``valid_from`` on or before that date (the higher version when two share a date). Registering a new
seal never changes a certificate already issued.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from PIL import Image, ImageChops
from pydantic import BaseModel, ConfigDict, Field

from victim_support.audit import AuditLog
from victim_support.certificates.store import (
    CertificateStore,
    DocumentStore,
    SealRecord,
    seal_item,
    seal_object_key,
)
from victim_support.clock import Clock, iso, utc_now
from victim_support.errors import DomainError
from victim_support.tenants.repository import TenantRepository

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SEAL_BYTES = 1024 * 1024
MIN_SIDE_PX = 100
MAX_SIDE_PX = 2000
MAX_ASPECT = 1.25
TRANSPARENT_ALPHA = 16
WHITE_LEVEL = 240
# PNG colour types: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.
_COLOUR_TYPES = {0, 2, 3, 4, 6}
_ALPHA_TYPES = {4, 6}
_LINE = r"^[^\x00-\x1f\x7f]*$"


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    has_alpha: bool  # an alpha channel, or a tRNS chunk (transparency of a palette or one colour)


def png_info(data: bytes) -> PngInfo:
    """The PNG header, read without decoding the image (``CERTIFICATE_SEAL_INVALID`` for a non-PNG)."""
    if not data.startswith(PNG_SIGNATURE):
        raise DomainError("CERTIFICATE_SEAL_INVALID", "no PNG signature")
    offset = len(PNG_SIGNATURE)
    chunks: list[bytes] = []
    header: tuple[int, int, int, int] | None = None
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        crc = data[offset + 8 + length:offset + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise DomainError("CERTIFICATE_SEAL_INVALID", "truncated chunk")
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
            raise DomainError("CERTIFICATE_SEAL_INVALID", "chunk CRC mismatch")
        if not chunks and kind != b"IHDR":
            raise DomainError("CERTIFICATE_SEAL_INVALID", "IHDR is not the first chunk")
        if kind == b"IHDR":
            if length != 13:
                raise DomainError("CERTIFICATE_SEAL_INVALID", "malformed IHDR")
            width, height, bit_depth, colour_type = struct.unpack(">IIBB", body[:10])
            header = (width, height, bit_depth, colour_type)
        chunks.append(kind)
        offset += 12 + length
        if kind in (b"IDAT", b"IEND"):
            break  # ancillary chunks that matter here (tRNS) come before the image data
    if header is None:
        raise DomainError("CERTIFICATE_SEAL_INVALID", "no IHDR")
    width, height, bit_depth, colour_type = header
    if colour_type not in _COLOUR_TYPES or width == 0 or height == 0:
        raise DomainError("CERTIFICATE_SEAL_INVALID", "invalid IHDR values")
    return PngInfo(width, height, bit_depth, colour_type,
                   has_alpha=colour_type in _ALPHA_TYPES or b"tRNS" in chunks)


def _decode(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
        image.load()  # the whole image: a truncated or corrupt IDAT fails here, not when printing
    except Exception as exc:  # Pillow raises several unrelated types for a corrupt image
        raise DomainError("CERTIFICATE_SEAL_INVALID", "the image data does not decode") from exc
    return image.convert("RGBA")


def _background_ok(pixel: tuple[int, ...]) -> bool:
    red, green, blue, alpha = pixel[:4]
    return alpha <= TRANSPARENT_ALPHA or min(red, green, blue) >= WHITE_LEVEL


def validate_seal_png(data: bytes) -> PngInfo:
    """Check a seal image against the rules of the module docstring; returns its header."""
    if len(data) > MAX_SEAL_BYTES:
        raise DomainError("CERTIFICATE_SEAL_REJECTED", f"larger than {MAX_SEAL_BYTES} bytes")
    info = png_info(data)
    sides = sorted((info.width, info.height))
    if sides[0] < MIN_SIDE_PX or sides[1] > MAX_SIDE_PX:
        raise DomainError("CERTIFICATE_SEAL_REJECTED",
                          f"{info.width}x{info.height} px: each side must be {MIN_SIDE_PX}-{MAX_SIDE_PX} px")
    if sides[1] > sides[0] * MAX_ASPECT:
        raise DomainError("CERTIFICATE_SEAL_REJECTED", f"{info.width}x{info.height} px is not square enough")
    # Decoding is safe now: at most 2000 x 2000 pixels.
    image = _decode(data)
    right, bottom = image.width - 1, image.height - 1
    corners = [image.getpixel(xy) for xy in ((0, 0), (right, 0), (0, bottom), (right, bottom))]
    if not all(isinstance(c, tuple) and _background_ok(c) for c in corners):
        raise DomainError("CERTIFICATE_SEAL_REJECTED", "the background must be transparent or white")
    return info


def printable_seal(data: bytes) -> bytes:
    """The seal as the certificate prints it: a white background becomes transparent (an image with
    transparency already is returned unchanged)."""
    if png_info(data).has_alpha:
        return data
    image = _decode(data)
    red, green, blue, _ = image.split()
    white = [band.point(lambda v: 255 if v >= WHITE_LEVEL else 0) for band in (red, green, blue)]
    image.putalpha(ImageChops.invert(ImageChops.multiply(ImageChops.multiply(white[0], white[1]), white[2])))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seal_in_force(seals: Iterable[SealRecord], on: date) -> SealRecord | None:
    """The registered seal valid on ``on``: latest ``valid_from`` not after it, then highest version."""
    candidates = [s for s in seals if s.status == "registered" and s.valid_from <= on]
    return max(candidates, key=lambda s: (s.valid_from, s.version or 0), default=None)


# --- Registration --------------------------------------------------------------------------------

class SealUploadRequest(BaseModel):
    """``POST /seals``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    filename: str = Field(min_length=1, max_length=120, pattern=_LINE)
    size_bytes: int = Field(ge=1, le=MAX_SEAL_BYTES)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    mayor_title: str = Field(min_length=1, max_length=32, pattern=_LINE, description="e.g. 益城町長")
    mayor_name: str = Field(min_length=1, max_length=32, pattern=_LINE)
    valid_from: date = Field(description="the first date of issue on which this seal is used")


class SealTicket(BaseModel):
    seal_id: str
    url: str
    object_key: str
    headers: dict[str, str]
    expires_at: str


class SealList(BaseModel):
    seals: list[SealRecord]


SEAL_ID_PATTERN = r"^S[0-9a-f]{16}$"


def request_seal_upload(code: str, actor: str, request: SealUploadRequest, *, store: CertificateStore,
                        documents: DocumentStore, tenants: TenantRepository, audit: AuditLog, expires_in: int,
                        clock: Clock = utc_now) -> SealTicket:
    tenants.require(code)
    now = clock()
    seal_id = f"S{secrets.token_hex(8)}"
    object_key = seal_object_key(code, seal_id)
    sha256 = request.sha256.lower()
    store.put_new(seal_item(SealRecord(
        municipality_code=code, seal_id=seal_id, mayor_title=request.mayor_title, mayor_name=request.mayor_name,
        valid_from=request.valid_from, filename=request.filename, size_bytes=request.size_bytes, sha256=sha256,
        object_key=object_key, created_at=iso(now), created_by=actor,
    )))
    checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
    url = documents.seal_upload_url(object_key, request.size_bytes, checksum, expires_in)
    audit.record(code, actor=actor, action="certificate.seal.upload_requested", target=seal_id,
                 reason="公印登録", details={"size_bytes": request.size_bytes,
                                             "valid_from": request.valid_from.isoformat()})
    return SealTicket(seal_id=seal_id, url=url, object_key=object_key,
                      headers={"Content-Length": str(request.size_bytes), "x-amz-checksum-sha256": checksum,
                               "Content-Type": "image/png"},
                      expires_at=iso(now + timedelta(seconds=expires_in)))


def confirm_seal(code: str, seal_id: str, actor: str, *, store: CertificateStore, documents: DocumentStore,
                 audit: AuditLog, clock: Clock = utc_now) -> SealRecord:
    """Check the uploaded image and register it; a registered seal is returned as it is."""
    seal = store.get_seal(code, seal_id)
    if seal is None:
        raise DomainError("CERTIFICATE_SEAL_NOT_FOUND")
    if seal.status == "registered":
        return seal
    data = documents.get_seal(seal.object_key, MAX_SEAL_BYTES)
    if data is None:
        raise DomainError("CERTIFICATE_SEAL_NOT_UPLOADED")
    try:
        if len(data) != seal.size_bytes or hashlib.sha256(data).hexdigest() != seal.sha256:
            raise DomainError("CERTIFICATE_SEAL_REJECTED", "size or SHA-256 differs from the request")
        info = validate_seal_png(data)
    except DomainError as error:
        rejected = seal.model_copy(update={"status": "rejected", "rejection_code": error.code,
                                           "rejection_detail": error.detail, "item_version": seal.item_version + 1})
        store.replace(seal_item(rejected), seal.item_version, "item_version")
        audit.record(code, actor=actor, action="certificate.seal.rejected", target=seal_id, reason=error.code,
                     details={"detail": error.detail})
        raise
    registered = seal.model_copy(update={
        "status": "registered", "version": store.next_seal_version(code), "width": info.width,
        "height": info.height, "rejection_code": None, "rejection_detail": None, "registered_at": iso(clock()),
        "registered_by": actor, "item_version": seal.item_version + 1,
    })
    if not store.replace(seal_item(registered), seal.item_version, "item_version"):
        raise DomainError("CONFLICT", "the seal changed meanwhile; confirm again")
    audit.record(code, actor=actor, action="certificate.seal.registered", target=seal_id, reason="公印登録",
                 details={"version": registered.version, "valid_from": registered.valid_from.isoformat(),
                          "sha256": registered.sha256})
    return registered


def list_seals(code: str, *, store: CertificateStore) -> SealList:
    """Every seal of the municipality, registered ones by version first, then the others."""
    seals = store.seals(code)
    return SealList(seals=sorted(seals, key=lambda s: (s.version is None, s.version or 0, s.created_at)))
