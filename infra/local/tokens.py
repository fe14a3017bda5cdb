"""Dev tokens: the local stand-in for Cognito ID tokens.

A token is ``<base64url(JSON claims)>.<base64url(HMAC-SHA256(payload))>``; the claims are the ones
``Caller.to_claims`` produces plus ``iat``/``exp`` in epoch seconds. They are only meant for the local
gateway, signed with the per-run ``VS_DEV_TOKEN_SECRET``; AWS uses Cognito instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from victim_support.auth import Caller

TOKEN_USE = "dev"  # noqa: S105 - a claim value, not a secret


class TokenError(ValueError):
    """The token is missing, malformed, forged or expired (the message says which, never the claims)."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("token is not base64url") from exc


def _sign(payload: str, secret: str) -> str:
    return _b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue_token(caller: Caller, secret: str, ttl_s: int = 3600, *, now: float | None = None) -> str:
    if not secret:
        raise ValueError("a dev token secret is required")
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        **caller.to_claims(),
        "token_use": TOKEN_USE,
        "iat": issued,
        "exp": issued + ttl_s,
    }
    payload = _b64encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{_sign(payload, secret)}"


def verify_token(token: str, secret: str, *, now: float | None = None) -> Caller:
    return Caller.from_claims(verify_claims(token, secret, now=now))


def verify_claims(token: str, secret: str, *, now: float | None = None) -> dict[str, Any]:
    """The signed claims of a valid token (what the gateway hands to the authorizer context)."""
    if not secret:
        raise TokenError("no dev token secret is configured")
    if not token:
        raise TokenError("token is missing")
    payload, sep, signature = token.strip().partition(".")
    if not sep or not payload or not signature:
        raise TokenError("token is malformed (expected <claims>.<signature>)")
    # Compare before decoding anything, in constant time.
    if not hmac.compare_digest(signature.encode(), _sign(payload, secret).encode()):
        raise TokenError("token signature is invalid")
    try:
        claims = json.loads(_b64decode(payload))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenError("token claims are not JSON") from exc
    if not isinstance(claims, Mapping) or not isinstance(claims.get("exp"), int):
        raise TokenError("token claims lack an expiry")
    if (time.time() if now is None else now) >= claims["exp"]:
        raise TokenError("token has expired")
    return dict(claims)
