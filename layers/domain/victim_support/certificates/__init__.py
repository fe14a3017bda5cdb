"""罹災証明書 and 被災証明書 as signed PDF documents.

* ``models``: ``CertificateContent``, everything one certificate prints (the fields of the Cabinet
  Office unified form, 内閣府 府政防第737号, plus the verification code and URL).
* ``render``: ``render_certificate`` draws it on one A4 page with embedded subset fonts, IPAmj明朝
  for the characters IPAex明朝 lacks, the official seal over the mayor's name and a verification
  block with a QR code; deterministic bytes for the same content.
* ``verification``: the 16-character verification code (HMAC-SHA256 under a per-municipality
  secret, Crockford base32), its constant-time check, and the verification URL.
* ``signing``: the signing key is an asymmetric KMS key whose private half never leaves KMS; its
  X.509 certificate, a pyHanko signer that calls KMS ``Sign``, PAdES B-B signing and validation.

Typical use: compute the code, build the content, render, sign::

    code = verification_code(secret, municipality_code, number, issued_on, reissue_count)
    content = CertificateContent(..., verification_code=code, verify_url=verify_url(base, number, code))
    pdf = sign_pdf(render_certificate(content, seal_png=seal), KmsSigner(kms, key_id, certificate),
                   reason="罹災証明書の交付", location=content.municipality_name)
"""

from victim_support.certificates.models import CertificateContent, CertificateKind
from victim_support.certificates.render import render_certificate
from victim_support.certificates.signing import (
    KmsIssuer,
    KmsSigner,
    VerificationResult,
    issue_signing_certificate,
    sign_pdf,
    verify_pdf,
)
from victim_support.certificates.verification import check_code, verification_code, verify_url

__all__ = [
    "CertificateContent",
    "CertificateKind",
    "KmsIssuer",
    "KmsSigner",
    "VerificationResult",
    "check_code",
    "issue_signing_certificate",
    "render_certificate",
    "sign_pdf",
    "verification_code",
    "verify_pdf",
    "verify_url",
]
