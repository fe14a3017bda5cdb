"""A client of the kiosk API over HTTP that signs every request as a kiosk does (``kiosk.signing``).

Used by the end-to-end tests and the kiosk simulator. ``base_url`` is the API's root (the local
gateway's URL, or the custom domain on AWS); the signed path is the resource path without stage
or query string, as the authorizer sees it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests
from victim_support.kiosk.jpki_sim import SimulatedCard
from victim_support.kiosk.signing import sign_request

SESSIONS = "/kiosk/v1/sessions"
ISSUANCES = "/kiosk/v1/issuances"


class KioskApiError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        self.code = body.get("code") if isinstance(body, dict) else None
        super().__init__(f"HTTP {status} {self.code or ''}")


@dataclass
class KioskClient:
    base_url: str
    kiosk_id: str
    secret: str
    timeout_s: float = 30.0
    http: requests.Session = field(default_factory=requests.Session, repr=False)

    def send(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
             tamper: bytes | None = None) -> requests.Response:
        """One signed request; ``headers`` override the signed ones and ``tamper`` replaces the body after
        signing (both only for tests of refusals)."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""
        signed = sign_request(self.kiosk_id, self.secret, method, path, data)
        if data:
            signed["Content-Type"] = "application/json"
        signed.update(headers or {})
        return self.http.request(method, self.base_url.rstrip("/") + path, data=tamper if tamper is not None else data,
                                 headers=signed, timeout=self.timeout_s)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.send(method, path, body)
        payload = resp.json() if resp.content else None
        if resp.status_code >= 400:
            raise KioskApiError(resp.status_code, payload)
        return payload

    def open_session(self, municipality_code: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", SESSIONS, {"municipality_code": municipality_code})
        return result

    def authenticate(self, session: dict[str, Any], card: SimulatedCard) -> dict[str, Any]:
        """The card signs the session's nonce; the kiosk sends the certificate and the signature."""
        body = {"certificate": card.certificate_b64, "signature": card.sign(session["nonce"])}
        result: dict[str, Any] = self.call("POST", f"{SESSIONS}/{session['session_id']}/authenticate", body)
        return result

    def certificates(self, session_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", f"{SESSIONS}/{session_id}/certificates")
        return result

    def sign_in(self, municipality_code: str, card: SimulatedCard) -> str:
        """Open a session and authenticate the card in it; the session id."""
        session = self.open_session(municipality_code)
        self.authenticate(session, card)
        return str(session["session_id"])

    def order(self, session_id: str, option: dict[str, Any], copies: int, idempotency_key: str) -> dict[str, Any]:
        """``POST /kiosk/v1/issuances`` at the listed price (the quote the resident saw)."""
        price = int(option["price_per_copy_yen"])
        body = {"session_id": session_id, "option_id": option["option_id"], "copies": copies,
                "quote": {"price_per_copy_yen": price, "total_yen": price * copies}}
        resp = self.send("POST", ISSUANCES, body, headers={"Idempotency-Key": idempotency_key})
        payload = resp.json() if resp.content else None
        if resp.status_code >= 400 or not isinstance(payload, dict):
            raise KioskApiError(resp.status_code, payload)
        return payload

    def issuance(self, issuance_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", f"{ISSUANCES}/{issuance_id}")
        return result

    def report(self, issuance_id: str, outcome: str, failure_code: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"outcome": outcome}
        if failure_code:
            body["failure_code"] = failure_code
        result: dict[str, Any] = self.call("POST", f"{ISSUANCES}/{issuance_id}/result", body)
        return result
