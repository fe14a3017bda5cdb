"""PAdES signatures on certificates with an ECC_NIST_P256 SIGN_VERIFY key in (moto's) KMS: the
certificate of the key, signing a rendered 罹災証明書, and what verification accepts and refuses."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pypdf
import pytest
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from victim_support.aws import AwsClients
from victim_support.certificates.render import render_certificate
from victim_support.certificates.signing import (
    KmsIssuer,
    KmsSigner,
    issue_signing_certificate,
    sign_pdf,
    verify_pdf,
)
from victim_support.errors import DomainError
from victim_support.settings import Settings

from tests.unit.certificates.data import content, seal_png_bytes

if TYPE_CHECKING:
    from mypy_boto3_kms.client import KMSClient

NOW = datetime.now(UTC)
VALIDITY = {"valid_from": NOW - timedelta(days=1), "valid_until": NOW + timedelta(days=5 * 365)}


@pytest.fixture(scope="module")
def kms(moto_endpoint: str) -> KMSClient:
    return AwsClients(Settings(environment="local", endpoint_url=moto_endpoint)).kms


def new_key(kms: KMSClient, spec: Any = "ECC_NIST_P256") -> str:
    return kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY", Description="certificate signing")["KeyMetadata"][
        "KeyId"
    ]


def certificate_for(kms: KMSClient, key_id: str, cn: str = "益城町長 西村博則", **extra: Any) -> bytes:
    return issue_signing_certificate(kms, key_id, subject_cn=cn, organization="益城町", **{**VALIDITY, **extra})


@pytest.fixture(scope="module")
def certificate_pdf() -> bytes:
    return render_certificate(content(), seal_png=seal_png_bytes())


def signed_with(kms: KMSClient, key_id: str, certificate: bytes, pdf: bytes, **signer: Any) -> bytes:
    return sign_pdf(pdf, KmsSigner(kms, key_id, certificate, **signer), reason="罹災証明書の交付",
                    location="益城町")


def byte_range(signed: bytes) -> list[int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", signed)
    assert match is not None
    return [int(n) for n in match.groups()]


def test_the_certificate_describes_the_kms_key_and_is_signed_by_it(kms: KMSClient) -> None:
    key_id = new_key(kms)
    der = certificate_for(kms, key_id)
    cert = pyca_x509.load_der_x509_certificate(der)
    kms_public = kms.get_public_key(KeyId=key_id)["PublicKey"]
    assert cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == kms_public
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    assert cert.signature_hash_algorithm is not None
    public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    assert cert.issuer == cert.subject
    assert cert.subject.get_attributes_for_oid(pyca_x509.NameOID.COMMON_NAME)[0].value == "益城町長 西村博則"
    usage = cert.extensions.get_extension_for_class(pyca_x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment  # nonRepudiation
    assert not usage.value.key_cert_sign
    assert not cert.extensions.get_extension_for_class(pyca_x509.BasicConstraints).value.ca
    assert cert.serial_number > 0


def test_a_signed_certificate_verifies_intact_and_trusted(kms: KMSClient, certificate_pdf: bytes) -> None:
    key_id = new_key(kms)
    cert = certificate_for(kms, key_id)
    signed = signed_with(kms, key_id, cert, certificate_pdf)

    assert signed.startswith(certificate_pdf)  # an incremental update: the rendered bytes are kept
    assert b"/ETSI.CAdES.detached" in signed  # PAdES, not the legacy adbe.pkcs7.detached
    result = verify_pdf(signed, [cert])
    assert result.valid
    assert result.intact
    assert result.trusted
    assert result.problem is None
    assert result.signer_cn == "益城町長 西村博則"
    start, first, second, length = byte_range(signed)
    assert start == 0
    assert second + length == len(signed)  # the signature covers the whole file but its own contents
    assert result.signed_hash == hashlib.sha256(signed[:first] + signed[second:]).hexdigest()
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(signed)).pages)
    assert "𠮷田" in text


def test_kms_itself_verifies_the_signature_in_the_pdf(kms: KMSClient, certificate_pdf: bytes) -> None:
    key_id = new_key(kms)
    cert = certificate_for(kms, key_id)
    signed = signed_with(kms, key_id, cert, certificate_pdf)
    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    signer_info = embedded.signer_info
    # What was signed is the DER of the signed attributes, with the SET OF tag (RFC 5652 5.4).
    message = bytearray(signer_info["signed_attrs"].dump())
    message[0] = 0x31
    signature = signer_info["signature"].native
    assert len(signature) <= 72
    verified = kms.verify(KeyId=key_id, Message=bytes(message), MessageType="RAW", Signature=signature,
                          SigningAlgorithm="ECDSA_SHA_256")
    assert verified["SignatureValid"]
    message[-1] ^= 0x01
    try:
        refused = kms.verify(KeyId=key_id, Message=bytes(message), MessageType="RAW", Signature=signature,
                             SigningAlgorithm="ECDSA_SHA_256")
        assert not refused["SignatureValid"]
    except kms.exceptions.KMSInvalidSignatureException:
        pass  # what AWS KMS answers for a bad signature


def test_one_flipped_byte_inside_the_signed_range_breaks_the_signature(
    kms: KMSClient, certificate_pdf: bytes
) -> None:
    key_id = new_key(kms)
    cert = certificate_for(kms, key_id)
    signed = signed_with(kms, key_id, cert, certificate_pdf)
    _, first, _, _ = byte_range(signed)
    tampered = bytearray(signed)
    tampered[first // 2] ^= 0x01
    result = verify_pdf(bytes(tampered), [cert])
    assert not result.valid
    assert not result.intact


def test_a_change_appended_after_signing_is_refused(kms: KMSClient, certificate_pdf: bytes) -> None:
    key_id = new_key(kms)
    cert = certificate_for(kms, key_id)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_with(kms, key_id, cert, certificate_pdf)))
    overprint = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 20 Tf 300 520 Td (X) Tj ET"))
    writer.add_stream_to_page(0, overprint)  # type: ignore[no-untyped-call]
    changed = io.BytesIO()
    writer.write(changed)  # type: ignore[no-untyped-call]
    result = verify_pdf(changed.getvalue(), [cert])
    assert result.intact  # the signed revision itself is untouched
    assert not result.valid
    assert result.problem == "the document was changed after signing"


def test_a_signature_by_another_key_fails_against_the_first_keys_certificate(
    kms: KMSClient, certificate_pdf: bytes
) -> None:
    key_id, other_id = new_key(kms), new_key(kms)
    cert = certificate_for(kms, key_id)
    # Same subject on purpose: only the key tells the two apart.
    forged = signed_with(kms, other_id, certificate_for(kms, other_id), certificate_pdf)
    result = verify_pdf(forged, [cert])
    assert not result.valid
    assert not result.trusted
    assert result.problem == "the signing certificate is not trusted"


def test_an_unsigned_or_unreadable_document_is_not_valid(kms: KMSClient, certificate_pdf: bytes) -> None:
    cert = certificate_for(kms, new_key(kms))
    assert verify_pdf(certificate_pdf, [cert]).problem == "no signature"
    assert not verify_pdf(b"not a pdf", [cert]).valid


def test_the_certificate_is_checked_against_its_validity_period(kms: KMSClient, certificate_pdf: bytes) -> None:
    key_id = new_key(kms)
    cert = certificate_for(kms, key_id)
    signed = signed_with(kms, key_id, cert, certificate_pdf)
    result = verify_pdf(signed, [cert], moment=NOW + timedelta(days=6 * 365))
    assert not result.valid
    assert result.problem == "the signing certificate is not valid at the validation time"


def test_a_certificate_issued_by_a_kms_ca_verifies_against_the_ca_only(
    kms: KMSClient, certificate_pdf: bytes
) -> None:
    ca_id, key_id = new_key(kms), new_key(kms)
    ca_cert = certificate_for(kms, ca_id, cn="益城町 証明書発行用CA", ca=True)
    leaf = certificate_for(kms, key_id, issuer=KmsIssuer(ca_id, ca_cert))
    parsed = pyca_x509.load_der_x509_certificate(leaf)
    assert parsed.issuer == pyca_x509.load_der_x509_certificate(ca_cert).subject
    signed = signed_with(kms, key_id, leaf, certificate_pdf, chain=[ca_cert])
    assert verify_pdf(signed, [ca_cert]).valid
    assert not verify_pdf(signed, [certificate_for(kms, new_key(kms))]).valid


def test_a_key_that_is_not_p256_is_refused(kms: KMSClient) -> None:
    with pytest.raises(DomainError) as raised:
        certificate_for(kms, new_key(kms, "ECC_NIST_P384"))
    assert raised.value.code == "CERTIFICATE_SIGNING_KEY_INVALID"


def test_a_signer_whose_certificate_is_for_another_key_is_refused(kms: KMSClient) -> None:
    cert = certificate_for(kms, new_key(kms))
    with pytest.raises(DomainError) as raised:
        KmsSigner(kms, new_key(kms), cert)
    assert raised.value.code == "CERTIFICATE_SIGNING_KEY_INVALID"
