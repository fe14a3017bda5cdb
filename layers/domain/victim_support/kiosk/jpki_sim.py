"""A simulated JPKI for the demo and the tests: a 利用者証明用 CA, resident cards and the CA's CRL.

Like the real user-authentication certificate, a simulated card's certificate carries no personal
data (its subject is only its serial); what ties it to a resident is the linkage table
(``kiosk.links``). Keys are EC P-256 by default (fast to generate); ``key_type="rsa"`` gives RSA 2048,
the real cards' algorithm. Nothing here is used by the kiosk API itself: it only verifies.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Self

from victim_support.clock import utc_now

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    PrivateKey = EllipticCurvePrivateKey | RSAPrivateKey

KeyType = Literal["ec", "rsa"]
CA_NAME = "JPKI User Authentication Test CA"


def _new_key(key_type: KeyType) -> PrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _sign_bytes(key: PrivateKey, message: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def _pem(key: PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load_key(pem: bytes) -> PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("a card key is EC or RSA")
    return key


@dataclass(frozen=True)
class SimulatedCard:
    """What the card holds: the user certificate and its private key (the PIN stays on the card)."""

    certificate_der: bytes
    private_key_pem: bytes
    serial: int

    @property
    def certificate_b64(self) -> str:
        return base64.b64encode(self.certificate_der).decode("ascii")

    def sign(self, nonce: str) -> str:
        """The card's signature over the session nonce (base64)."""
        return base64.b64encode(_sign_bytes(_load_key(self.private_key_pem), nonce.encode("ascii"))).decode("ascii")

    def to_json(self) -> str:
        return json.dumps({"certificate": self.certificate_b64, "private_key": self.private_key_pem.decode("ascii"),
                           "serial": format(self.serial, "x")}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Self:
        data = json.loads(text)
        return cls(base64.b64decode(data["certificate"]), data["private_key"].encode("ascii"),
                   int(data["serial"], 16))


@dataclass(frozen=True)
class SimulatedCA:
    certificate: x509.Certificate
    private_key_pem: bytes

    @classmethod
    def create(cls, name: str = CA_NAME, *, key_type: KeyType = "ec", not_before: datetime | None = None,
               days: int = 3650) -> Self:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID

        key = _new_key(key_type)
        start = (not_before or utc_now()) - timedelta(minutes=5)
        subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        certificate = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(certificate, _pem(key))

    @property
    def certificate_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue_card(self, *, not_before: datetime | None = None, not_after: datetime | None = None,
                   serial: int | None = None, key_type: KeyType = "ec") -> SimulatedCard:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import NameOID

        key = _new_key(key_type)
        number = serial if serial is not None else secrets.randbits(63) | 1
        start = not_before or utc_now() - timedelta(days=1)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, format(number, "x"))]))
            .issuer_name(self.certificate.subject).public_key(key.public_key()).serial_number(number)
            .not_valid_before(start).not_valid_after(not_after or start + timedelta(days=5 * 365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(_load_key(self.private_key_pem), hashes.SHA256())
        )
        return SimulatedCard(certificate.public_bytes(serialization.Encoding.DER), _pem(key), number)

    def crl(self, revoked: Iterable[int] = (), *, this_update: datetime | None = None,
            next_update: datetime | None = None) -> bytes:
        """The CA's CRL (DER) listing ``revoked`` serials; valid for a day unless told otherwise."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization

        start = this_update or utc_now() - timedelta(minutes=5)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.certificate.subject)
                   .last_update(start).next_update(next_update or start + timedelta(days=1)))
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(start).build())
        return builder.sign(_load_key(self.private_key_pem), hashes.SHA256()).public_bytes(serialization.Encoding.DER)
