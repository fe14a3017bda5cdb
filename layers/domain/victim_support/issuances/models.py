"""An issuance record: one certificate handed out (or voided) through one channel."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from victim_support.fees import CertificateType

Channel = Literal["counter", "online", "kiosk"]
IssuanceStatus = Literal["issued", "voided"]


class IssuanceRecord(BaseModel):
    """Fees are per copy, in yen, as charged when the copy was issued (a later fee change does not
    rewrite history). ``voided`` kiosk copies (a failed print) are kept and never charged."""

    model_config = ConfigDict(frozen=True)

    municipality_code: str = Field(pattern=r"^\d{6}$")
    issuance_id: str = Field(min_length=1, max_length=80)
    issued_at: datetime = Field(description="Timezone-aware; the billing month is taken in JST")
    channel: Channel
    certificate_type: CertificateType
    copies: int = Field(ge=1, le=100)
    certificate_number: str | None = None
    certificate_fee_yen: int = Field(default=0, ge=0, description="Paid by the resident to the municipality")
    resident_print_fee_yen: int = Field(default=0, ge=0, description="Kiosk: paid by the resident to the store")
    municipality_consignment_yen: int = Field(default=0, ge=0, description="Kiosk: borne by the municipality")
    bcl_fee_yen: int = Field(default=0, ge=0, description="BCL issuance function fee, pattern A eligible types")
    document_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    status: IssuanceStatus = "issued"
