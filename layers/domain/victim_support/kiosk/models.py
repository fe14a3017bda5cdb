"""The kiosk side's models, by boundary: operator API, kiosk API, stored items.

Kiosk API models carry no personal data: the kiosk learns that a card was accepted and what may
be printed, never the resident's name, address or person id.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

KIOSK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$"
SESSION_ID_PATTERN = r"^\d{6}-[0-9a-f]{32}$"
MunicipalityCode = Annotated[str, Field(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits)")]


# --- Operator API: the kiosk registry ------------------------------------------------------------

class KioskRegistration(BaseModel):
    """``PUT /kiosks/{kiosk_id}``: register a kiosk, or update, enable or disable it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    operator: str = Field(min_length=1, max_length=60, description="store chain or kiosk operator")
    store_name: str = Field(min_length=1, max_length=80)
    location_code: MunicipalityCode = Field(description="municipality code of the store's location")
    enabled: bool = True
    rotate_secret: bool = Field(default=False, description="issue a new HMAC secret (returned once)")


class KioskView(BaseModel):
    kiosk_id: str
    operator: str
    store_name: str
    location_code: str
    enabled: bool
    registered_at: str
    updated_at: str
    secret_rotated_at: str


class KioskRegistered(BaseModel):
    kiosk: KioskView
    created: bool
    secret: str | None = Field(
        default=None,
        description="the HMAC secret, returned only when it is created (first registration or rotate_secret); "
                    "store it in the kiosk, it cannot be read again")


class KioskList(BaseModel):
    kiosks: list[KioskView]


# --- Kiosk API ---------------------------------------------------------------------------------

class SessionRequest(BaseModel):
    """``POST /kiosk/v1/sessions``: the municipality whose certificates the resident asks for."""

    model_config = ConfigDict(extra="forbid")

    municipality_code: MunicipalityCode


class SessionOpened(BaseModel):
    session_id: str
    nonce: str = Field(description="sign these ASCII bytes with the card's 利用者証明用 private key")
    expires_at: str = Field(description="when the session expires unless used (3 minutes idle)")


class CardAuthentication(BaseModel):
    """``POST /kiosk/v1/sessions/{session_id}/authenticate``."""

    model_config = ConfigDict(extra="forbid")

    certificate: str = Field(min_length=16, max_length=8192, description="the user certificate, base64 DER")
    signature: str = Field(min_length=16, max_length=2048,
                           description="base64 signature over the session nonce (SHA-256; ECDSA or RSA PKCS#1 v1.5)")


class SessionAuthenticated(BaseModel):
    session_id: str
    status: Literal["authenticated"] = "authenticated"
    municipality_code: str
    expires_at: str


class PrintableCertificate(BaseModel):
    option_id: str = Field(description="names this choice in the issuance request")
    kind: Literal["risai", "higai"]
    title_ja: str
    disaster_id: str
    disaster_name: str
    occurred_on: date
    price_per_copy_yen: int = Field(description="what the resident pays at the kiosk for one copy")
    max_copies: int


class PrintableList(BaseModel):
    session_id: str
    municipality_code: str
    certificates: list[PrintableCertificate]
    expires_at: str


# --- Kiosk API: issuance ---------------------------------------------------------------------------

ISSUANCE_ID_PATTERN = r"^\d{6}-[0-9a-f]{32}$"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class Quote(BaseModel):
    """The price the kiosk showed the resident; the issuance is refused if it is not the current one."""

    model_config = ConfigDict(extra="forbid")

    price_per_copy_yen: int = Field(ge=0, le=100_000)
    total_yen: int = Field(ge=0, le=1_000_000)


class IssuanceRequest(BaseModel):
    """``POST /kiosk/v1/issuances`` (with an ``Idempotency-Key`` header)."""

    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(pattern=SESSION_ID_PATTERN)
    option_id: str = Field(min_length=3, max_length=80, description="an option_id from the session's list")
    copies: int = Field(ge=1, le=10)
    quote: Quote


class IssuanceAccepted(BaseModel):
    issuance_id: str
    status: Literal["pending"] = "pending"
    option_id: str
    copies: int
    price_per_copy_yen: int
    total_yen: int
    accepted_at: str


class IssuanceState(BaseModel):
    """``GET /kiosk/v1/issuances/{id}``: pending (poll again), ready (with the document, once) or refused."""

    issuance_id: str
    status: Literal["pending", "ready", "refused"]
    copies: int
    total_yen: int
    retry_after_ms: int | None = Field(default=None, description="pending: when to ask again")
    code: str | None = Field(default=None, description="refused: the neutral reason code")
    certificate_number: str | None = None
    document_base64: str | None = Field(default=None, description="ready: the signed PDF to print, handed out once")
    document_sha256: str | None = None
    content_type: str | None = None


class IssuanceResult(BaseModel):
    """``POST /kiosk/v1/issuances/{id}/result``: what happened at the printer."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["printed", "failed"]
    failure_code: str | None = Field(default=None, pattern=r"^[A-Z0-9_]{1,40}$",
                                     description="failed: the kiosk's own reason code (paper jam, cancelled…)")


class IssuanceResultRecorded(BaseModel):
    issuance_id: str
    status: Literal["printed", "failed"]
    charged_yen: int = Field(description="what the resident pays: 0 after a failure")
    recorded_at: str
