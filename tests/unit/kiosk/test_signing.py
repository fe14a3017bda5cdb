"""Kiosk request signing: a genuine request passes once; replayed, altered, stale or wrongly signed ones
are refused with their stable codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from victim_support.errors import DomainError
from victim_support.kiosk.registry import KioskRecord
from victim_support.kiosk.signing import (
    HEADER_CONTENT_SHA256,
    HEADER_ID,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    RequestVerifier,
    SignedRequest,
    check_body,
    sign_request,
)

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
SECRET = "s3cr3t-of-the-kiosk-0123456789abcdefghijk"
PATH = "/kiosk/v1/sessions"
BODY = b'{"municipality_code":"434434"}'


class FakeRegistry:
    def __init__(self) -> None:
        self.kiosks = {
            "lawson-0001": KioskRecord(kiosk_id="lawson-0001", operator="Lawson", store_name="益城店",
                                       location_code="434434", enabled=True, secret_ct=b"ct-1",
                                       registered_at="x", updated_at="x", secret_rotated_at="x"),
            "seven-0002": KioskRecord(kiosk_id="seven-0002", operator="Seven", store_name="熊本店",
                                      location_code="434434", enabled=False, secret_ct=b"ct-2",
                                      registered_at="x", updated_at="x", secret_rotated_at="x"),
        }

    def get(self, kiosk_id: str) -> KioskRecord | None:
        return self.kiosks.get(kiosk_id)


class FakeBox:
    def decrypt(self, kiosk_id: str, ciphertext: bytes) -> bytes:
        return SECRET.encode()


class FakeNonces:
    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def remember(self, kiosk_id: str, nonce: str, *, expires_at: int, seen_at: str) -> bool:
        key = f"{kiosk_id}#{nonce}"
        if key in self.seen:
            return False
        self.seen[key] = expires_at
        return True


@pytest.fixture
def nonces() -> FakeNonces:
    return FakeNonces()


@pytest.fixture
def verifier(nonces: FakeNonces) -> RequestVerifier:
    return RequestVerifier(FakeRegistry(), FakeBox(), nonces, clock=lambda: NOW)  # type: ignore[arg-type]


def _signed(method: str = "POST", path: str = PATH, body: bytes = BODY, *, kiosk: str = "lawson-0001",
            secret: str = SECRET, at: datetime = NOW, **override: str) -> SignedRequest:
    headers = sign_request(kiosk, secret, method, path, body, now=at)
    headers.update(override)
    return SignedRequest.of(method, path, headers)


def _refused(verifier: RequestVerifier, request: SignedRequest) -> str:
    with pytest.raises(DomainError) as refused:
        verifier.verify(request)
    return refused.value.code


def test_a_genuine_request_names_its_kiosk_and_its_body_checks(verifier: RequestVerifier) -> None:
    request = _signed()
    kiosk = verifier.verify(request)
    assert kiosk.kiosk_id == "lawson-0001"
    assert kiosk.context() == {"kiosk_id": "lawson-0001", "operator": "Lawson", "location_code": "434434"}
    check_body(request.header(HEADER_CONTENT_SHA256), BODY)


def test_header_names_are_case_insensitive(verifier: RequestVerifier) -> None:
    headers = {k.lower(): v for k, v in sign_request("lawson-0001", SECRET, "GET", PATH, now=NOW).items()}
    assert verifier.verify(SignedRequest.of("get", PATH, headers)).kiosk_id == "lawson-0001"


def test_a_replayed_request_is_refused(verifier: RequestVerifier) -> None:
    request = _signed()
    verifier.verify(request)
    assert _refused(verifier, request) == "KIOSK_REPLAY"


def test_the_nonce_is_remembered_until_its_timestamp_leaves_the_window(
        verifier: RequestVerifier, nonces: FakeNonces) -> None:
    verifier.verify(_signed(at=NOW - timedelta(seconds=100)))
    (expires_at,) = nonces.seen.values()
    assert expires_at >= int((NOW - timedelta(seconds=100)).timestamp()) + 300


def test_an_altered_body_is_refused_by_the_body_check(verifier: RequestVerifier) -> None:
    request = _signed()
    verifier.verify(request)  # the authorizer never sees the body ...
    with pytest.raises(DomainError) as refused:  # ... the handler's check does
        check_body(request.header(HEADER_CONTENT_SHA256), b'{"municipality_code":"131016"}')
    assert refused.value.code == "KIOSK_SIGNATURE_INVALID"


def test_an_altered_body_hash_path_or_method_breaks_the_signature(verifier: RequestVerifier) -> None:
    forged_hash = "0" * 64
    assert _refused(verifier, _signed(**{HEADER_CONTENT_SHA256: forged_hash})) == "KIOSK_SIGNATURE_INVALID"
    headers = dict(_signed().headers)
    assert _refused(verifier, SignedRequest.of("POST", PATH + "/x", headers)) == "KIOSK_SIGNATURE_INVALID"
    headers = dict(_signed().headers)
    assert _refused(verifier, SignedRequest.of("PUT", PATH, headers)) == "KIOSK_SIGNATURE_INVALID"


def test_a_missing_body_hash_fails_the_body_check() -> None:
    with pytest.raises(DomainError) as refused:
        check_body(None, b"")
    assert refused.value.code == "KIOSK_SIGNATURE_INVALID"


def test_a_request_signed_with_the_wrong_secret_is_refused(verifier: RequestVerifier) -> None:
    assert _refused(verifier, _signed(secret="not-the-secret")) == "KIOSK_SIGNATURE_INVALID"


def test_a_forged_request_does_not_burn_the_kiosks_nonce(verifier: RequestVerifier) -> None:
    genuine = _signed()
    forged = _signed(secret="not-the-secret", **{HEADER_NONCE: genuine.header(HEADER_NONCE) or ""})
    assert _refused(verifier, forged) == "KIOSK_SIGNATURE_INVALID"
    assert verifier.verify(genuine).kiosk_id == "lawson-0001"


@pytest.mark.parametrize("skew_s", [-301, 301, 3600])
def test_a_stale_or_future_timestamp_is_refused(verifier: RequestVerifier, skew_s: int) -> None:
    assert _refused(verifier, _signed(at=NOW + timedelta(seconds=skew_s))) == "KIOSK_REQUEST_EXPIRED"


@pytest.mark.parametrize("skew_s", [-300, -299, 0, 299, 300])
def test_timestamps_within_300_seconds_pass(verifier: RequestVerifier, skew_s: int) -> None:
    assert verifier.verify(_signed(at=NOW + timedelta(seconds=skew_s))).kiosk_id == "lawson-0001"


def test_iso_timestamps_with_an_offset_pass_and_naive_or_garbled_ones_are_refused(verifier: RequestVerifier) -> None:
    jst = "2026-11-26T12:00:30+09:00"
    headers = sign_request("lawson-0001", SECRET, "GET", PATH, timestamp=jst)
    assert verifier.verify(SignedRequest.of("GET", PATH, headers)).kiosk_id == "lawson-0001"
    for stamp in ("2026-11-26T03:00:00", "yesterday", ""):
        headers = sign_request("lawson-0001", SECRET, "GET", PATH, timestamp=stamp)
        assert _refused(verifier, SignedRequest.of("GET", PATH, headers)) == "KIOSK_REQUEST_EXPIRED"


def test_unknown_and_malformed_kiosk_ids_are_refused(verifier: RequestVerifier) -> None:
    assert _refused(verifier, _signed(kiosk="family-9999")) == "KIOSK_UNKNOWN"
    assert _refused(verifier, _signed(**{HEADER_ID: "../admin"})) == "KIOSK_UNKNOWN"
    headers = dict(_signed().headers)
    del headers[HEADER_ID.lower()]
    assert _refused(verifier, SignedRequest.of("POST", PATH, headers)) == "KIOSK_UNKNOWN"


def test_a_disabled_kiosk_is_refused_even_when_correctly_signed(verifier: RequestVerifier) -> None:
    assert _refused(verifier, _signed(kiosk="seven-0002")) == "KIOSK_DISABLED"


@pytest.mark.parametrize("header", [HEADER_NONCE, HEADER_SIGNATURE, HEADER_CONTENT_SHA256])
def test_missing_or_malformed_signing_headers_are_refused(verifier: RequestVerifier, header: str) -> None:
    assert _refused(verifier, _signed(**{header: "bad value!"})) == "KIOSK_SIGNATURE_INVALID"
    headers = dict(_signed().headers)
    del headers[header.lower()]
    assert _refused(verifier, SignedRequest.of("POST", PATH, headers)) == "KIOSK_SIGNATURE_INVALID"


def test_the_timestamp_header_is_part_of_the_signature(verifier: RequestVerifier) -> None:
    headers = dict(_signed().headers)
    headers[HEADER_TIMESTAMP.lower()] = str(int(headers[HEADER_TIMESTAMP.lower()]) + 1)
    assert _refused(verifier, SignedRequest.of("POST", PATH, headers)) == "KIOSK_SIGNATURE_INVALID"
