"""The resident's card: chain to the configured CA, validity, revocation (a CRL that must itself be
genuine and current), and the signature over the session nonce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from victim_support.errors import DomainError
from victim_support.kiosk.jpki import JpkiTrust, issuer_id, verify_card
from victim_support.kiosk.jpki_sim import SimulatedCA, SimulatedCard

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
NONCE = "n0nce-of-the-session-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture(scope="module")
def ca() -> SimulatedCA:
    return SimulatedCA.create(not_before=NOW - timedelta(days=365))


@pytest.fixture(scope="module")
def card(ca: SimulatedCA) -> SimulatedCard:
    return ca.issue_card(not_before=NOW - timedelta(days=30))


def _trust(ca: SimulatedCA, crl: bytes | None = None, *, revoked: tuple[int, ...] = ()) -> JpkiTrust:
    crl = crl if crl is not None else ca.crl(revoked, this_update=NOW - timedelta(hours=1))
    return JpkiTrust.from_bytes({"jpki": ca.certificate_pem}, {"jpki": crl})


def _refused(card: SimulatedCard, trust: JpkiTrust, *, nonce: str = NONCE, signed: str = NONCE,
             now: datetime = NOW) -> str:
    with pytest.raises(DomainError) as refused:
        verify_card(card.certificate_b64, card.sign(signed), nonce, trust, now)
    return refused.value.code


def test_a_genuine_card_is_identified_by_issuer_and_serial(ca: SimulatedCA, card: SimulatedCard) -> None:
    verified = verify_card(card.certificate_b64, card.sign(NONCE), NONCE, _trust(ca), NOW)
    assert verified.serial == card.serial
    assert verified.issuer_id == issuer_id(ca.certificate.subject)
    assert verified.serial_hex == format(card.serial, "x")


def test_an_rsa_card_like_the_real_ones_is_accepted(ca: SimulatedCA) -> None:
    rsa_card = ca.issue_card(not_before=NOW - timedelta(days=1), key_type="rsa")
    assert verify_card(rsa_card.certificate_b64, rsa_card.sign(NONCE), NONCE, _trust(ca), NOW).serial == rsa_card.serial


def test_a_card_from_another_ca_is_untrusted(ca: SimulatedCA) -> None:
    other = SimulatedCA.create("Some Other CA", not_before=NOW - timedelta(days=1))
    stranger = other.issue_card(not_before=NOW - timedelta(days=1))
    assert _refused(stranger, _trust(ca)) == "KIOSK_CARD_UNTRUSTED"


def test_a_card_from_an_impostor_ca_with_the_same_name_is_untrusted(ca: SimulatedCA) -> None:
    impostor = SimulatedCA.create(not_before=NOW - timedelta(days=1))  # same subject name, other key
    forged = impostor.issue_card(not_before=NOW - timedelta(days=1))
    assert _refused(forged, _trust(ca)) == "KIOSK_CARD_UNTRUSTED"


def test_the_ca_certificate_itself_is_not_a_card(ca: SimulatedCA, card: SimulatedCard) -> None:
    as_card = SimulatedCard(ca.certificate.public_bytes(serialization.Encoding.DER), ca.private_key_pem,
                            ca.certificate.serial_number)
    assert _refused(as_card, _trust(ca)) == "KIOSK_CARD_UNTRUSTED"


def test_garbage_instead_of_a_certificate_is_untrusted(ca: SimulatedCA) -> None:
    with pytest.raises(DomainError) as refused:
        verify_card("bm90IGEgY2VydGlmaWNhdGU=", "c2ln", NONCE, _trust(ca), NOW)
    assert refused.value.code == "KIOSK_CARD_UNTRUSTED"


def test_an_expired_or_not_yet_valid_card_is_refused(ca: SimulatedCA) -> None:
    expired = ca.issue_card(not_before=NOW - timedelta(days=800), not_after=NOW - timedelta(seconds=1))
    assert _refused(expired, _trust(ca)) == "KIOSK_CARD_EXPIRED"
    early = ca.issue_card(not_before=NOW + timedelta(days=1))
    assert _refused(early, _trust(ca)) == "KIOSK_CARD_EXPIRED"


def test_a_revoked_card_is_refused(ca: SimulatedCA, card: SimulatedCard) -> None:
    assert _refused(card, _trust(ca, revoked=(12345, card.serial))) == "KIOSK_CARD_REVOKED"


def test_a_signature_over_another_nonce_is_refused(ca: SimulatedCA, card: SimulatedCard) -> None:
    assert _refused(card, _trust(ca), signed="an-earlier-sessions-nonce-BBBBBBBBBBBBBB") == \
        "KIOSK_NONCE_SIGNATURE_INVALID"


def test_a_signature_by_another_cards_key_is_refused(ca: SimulatedCA, card: SimulatedCard) -> None:
    other = ca.issue_card(not_before=NOW - timedelta(days=1))
    with pytest.raises(DomainError) as refused:
        verify_card(card.certificate_b64, other.sign(NONCE), NONCE, _trust(ca), NOW)
    assert refused.value.code == "KIOSK_NONCE_SIGNATURE_INVALID"


def test_a_tampered_crl_leaves_revocation_unknown_and_the_card_refused(ca: SimulatedCA, card: SimulatedCard) -> None:
    crl = bytearray(ca.crl((card.serial,), this_update=NOW - timedelta(hours=1)))
    crl[-5] ^= 0x01  # inside the signature
    assert _refused(card, _trust(ca, bytes(crl))) == "KIOSK_REVOCATION_UNAVAILABLE"


def test_a_crl_that_drops_a_revoked_serial_without_the_cas_key_is_refused(ca: SimulatedCA,
                                                                          card: SimulatedCard) -> None:
    impostor = SimulatedCA.create(not_before=NOW - timedelta(days=1))  # same name, cannot sign for the real CA
    forged_crl = impostor.crl((), this_update=NOW - timedelta(hours=1))
    assert _refused(card, _trust(ca, forged_crl)) == "KIOSK_REVOCATION_UNAVAILABLE"


def test_a_crl_past_its_next_update_or_missing_leaves_revocation_unknown(ca: SimulatedCA,
                                                                        card: SimulatedCard) -> None:
    stale = ca.crl((), this_update=NOW - timedelta(days=2), next_update=NOW - timedelta(seconds=1))
    assert _refused(card, _trust(ca, stale)) == "KIOSK_REVOCATION_UNAVAILABLE"
    without_crl = JpkiTrust.from_bytes({"jpki": ca.certificate_pem}, {})
    assert _refused(card, without_crl) == "KIOSK_REVOCATION_UNAVAILABLE"
    unreadable = JpkiTrust.from_bytes({"jpki": ca.certificate_pem}, {"jpki": b"not a crl"})
    assert _refused(card, unreadable) == "KIOSK_REVOCATION_UNAVAILABLE"


def test_a_card_survives_a_card_file_round_trip(card: SimulatedCard) -> None:
    again = SimulatedCard.from_json(card.to_json())
    assert again == card
    assert x509.load_der_x509_certificate(again.certificate_der).serial_number == card.serial


def test_card_files_written_for_the_demo_verify_against_their_ca(tmp_path: Path) -> None:
    from infra.local.kiosk_cards import load_ca, make_cards

    paths = make_cards(tmp_path, "434434", ["1001", "1002"])
    ca = load_ca(tmp_path / "ca.json")
    card = SimulatedCard.from_json(paths["1001"].read_text(encoding="utf-8"))
    trust = JpkiTrust.from_bytes({"jpki": ca.certificate_pem}, {"jpki": ca.crl()})
    assert verify_card(card.certificate_b64, card.sign(NONCE), NONCE, trust, datetime.now(UTC)).serial == card.serial
    assert make_cards(tmp_path, "434434", ["1003"])  # a second run reuses the CA
    assert load_ca(tmp_path / "ca.json").certificate == ca.certificate
