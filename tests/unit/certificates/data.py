"""Certificate test data: a 罹災証明書 of Mashiki (益城町) for made-up residents."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from PIL import Image, ImageDraw
from victim_support.certificates.models import CertificateContent
from victim_support.certificates.verification import verification_code, verify_url

SECRET = b"mashiki-test-secret-0123456789abcdef"
SEAL_SIZE_PX = (240, 236)  # not square, so the image's dimensions are recognisable in the PDF


def content(**overrides: Any) -> CertificateContent:
    number = overrides.pop("number", "2026-000123")
    reissue = overrides.pop("reissue_count", 0)
    issued_on = overrides.pop("issued_on", date(2026, 11, 27))
    code = verification_code(SECRET, "434434", number, issued_on, reissue)
    fields: dict[str, Any] = {
        "kind": "risai", "number": number, "reissue_count": reissue, "municipality_code": "434434",
        "municipality_name": "益城町", "mayor_title": "益城町長", "mayor_name": "西村博則",
        "head_address": "熊本県上益城郡益城町大字宮園702番地", "head_name": "𠮷田　太郎",
        "dwelling_address": "熊本県上益城郡益城町大字木山236番地", "cause": "家屋の損壊",
        "disaster_name": "熊本県熊本地方を震源とする地震", "disaster_date": date(2026, 11, 20),
        "damage_level": "中規模半壊", "members": ["𠮷田　太郎", "𠮷田　花子", "髙橋　一郎"],
        "issued_on": issued_on, "verification_code": code,
        "verify_url": verify_url("verify.example.lg.jp", number, code),
    }
    fields.update(overrides)
    return CertificateContent(**fields)


def seal_png_bytes() -> bytes:
    image = Image.new("RGBA", SEAL_SIZE_PX, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, SEAL_SIZE_PX[0] - 8, SEAL_SIZE_PX[1] - 8), outline=(200, 30, 30, 230), width=12)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
