"""The municipality registry's models, by boundary: API input, stored item."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MunicipalityCode = str
YearMonth = str
_YEAR_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class MunicipalityRegistration(BaseModel):
    """What the operator sends to register (or update) a municipality."""

    model_config = ConfigDict(extra="forbid")

    population: int = Field(ge=1, le=40_000_000, description="住民基本台帳人口")
    pattern: Literal["A", "B"] = Field(description="導入パターン")
    uses_bcl_issuance_server: bool = Field(description="BCLの証明発行サーバを利用するか")
    start_month: YearMonth = Field(pattern=_YEAR_MONTH, description="利用開始月 YYYY-MM")
    kiosk_issuance: bool = Field(default=False, description="罹災証明書等のコンビニ交付を行うか")
    existing_kiosk_issuance: bool = Field(
        default=False, description="既にコンビニ交付を導入済みか（運営負担金は負担済み）")
    certificate_fee_yen: int = Field(default=0, ge=0, le=10_000,
                                     description="罹災証明書の手数料（円/通）: 0 = 無料")
    name: str | None = Field(default=None, max_length=40, description="Defaults to the name looked up from the code")
    prefecture: str | None = Field(default=None, max_length=10)


class Municipality(BaseModel):
    """A registered municipality (tenant)."""

    code: MunicipalityCode = Field(pattern=r"^\d{6}$")
    name: str
    prefecture: str
    population: int
    pattern: Literal["A", "B"]
    uses_bcl_issuance_server: bool
    start_month: YearMonth
    kiosk_issuance: bool = False
    existing_kiosk_issuance: bool = False
    certificate_fee_yen: int = 0
    kind: str
    current_generation: int = 0
    loading_generation: int | None = None
    registered_at: str
    updated_at: str
