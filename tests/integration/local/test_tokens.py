"""Dev tokens: the local stand-in for Cognito ID tokens."""

from __future__ import annotations

import base64
import json
import time

import pytest
from victim_support.auth import Caller

from infra.local.tokens import TokenError, issue_token, verify_claims, verify_token

SECRET = "s3cret-for-tests"
CALLER = Caller(subject="u-1", username="tanaka", municipality_code="434434",
                groups=frozenset({"staff", "operators"}))


def test_a_token_round_trips_to_the_same_caller() -> None:
    assert verify_token(issue_token(CALLER, SECRET), SECRET) == CALLER


def test_claims_carry_cognito_names_and_an_expiry() -> None:
    now = time.time()
    claims = verify_claims(issue_token(CALLER, SECRET, ttl_s=60, now=now), SECRET, now=now)
    assert claims["custom:municipality_code"] == "434434"
    assert claims["cognito:groups"] == "operators staff"
    assert claims["cognito:username"] == "tanaka"
    assert claims["exp"] == int(now) + 60


def test_an_expired_token_is_refused() -> None:
    token = issue_token(CALLER, SECRET, ttl_s=60, now=1_000)
    with pytest.raises(TokenError, match="expired"):
        verify_token(token, SECRET, now=1_060)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(TokenError, match="signature"):
        verify_token(issue_token(CALLER, "another secret"), SECRET)


def test_changed_claims_break_the_signature() -> None:
    payload, signature = issue_token(CALLER, SECRET).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["custom:municipality_code"] = "131016"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError, match="signature"):
        verify_token(f"{forged}.{signature}", SECRET)


@pytest.mark.parametrize("token", ["", "no-dot", ".sig", "payload.", "a.b.c", "ü.ß"])
def test_malformed_tokens_are_refused_with_a_token_error(token: str) -> None:
    with pytest.raises(TokenError):
        verify_token(token, SECRET)


def test_no_secret_means_no_valid_token() -> None:
    with pytest.raises(TokenError):
        verify_token(issue_token(CALLER, SECRET), "")
