"""What a certificate prints: one frozen model, built by the caller from the ledger and the survey."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from victim_support.damage import DamageLevel


class CertificateKind(StrEnum):
    RISAI = "risai"  # 罹災証明書: the damage level of a dwelling (災害対策基本法 第90条の2)
    HIGAI = "higai"  # 被災証明書: that a person or thing was affected (the municipality's own form)

    @property
    def title_ja(self) -> str:
        return _TITLES[self]


_TITLES = {CertificateKind.RISAI: "罹災証明書", CertificateKind.HIGAI: "被災証明書"}

# One line of a certificate: no control characters (they would print as nothing or a box).
_LINE = r"^[^\x00-\x1f\x7f]*$"
_Name = Annotated[str, Field(min_length=1, max_length=60, pattern=_LINE)]


class CertificateContent(BaseModel):
    """The fields of the Cabinet Office unified form (内閣府 府政防第737号) plus what identifies and
    verifies the certificate.

    ``damage_level`` is required for a 罹災証明書 and ``affected`` (what was affected, free text) for
    a 被災証明書; each kind refuses the other's field so nothing is silently left off the paper.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    kind: Literal["risai", "higai"]
    number: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z-]+$")  # 整理番号
    reissue_count: int = Field(default=0, ge=0, le=99)  # 再交付の回数; 0 for the first issue
    municipality_code: str = Field(pattern=r"^[0-9]{6}$")
    municipality_name: str = Field(min_length=1, max_length=32, pattern=_LINE)
    mayor_title: str = Field(min_length=1, max_length=32, pattern=_LINE)  # 益城町長
    mayor_name: str = Field(min_length=1, max_length=32, pattern=_LINE)
    head_address: str = Field(min_length=1, max_length=120, pattern=_LINE)  # 世帯主住所
    head_name: str = Field(min_length=1, max_length=60, pattern=_LINE)  # 世帯主氏名
    dwelling_address: str = Field(min_length=1, max_length=120, pattern=_LINE)  # 被災住家の所在地
    cause: str = Field(min_length=1, max_length=40, pattern=_LINE)  # 罹災原因: 地震, 豪雨による浸水, …
    disaster_name: str = Field(min_length=1, max_length=60, pattern=_LINE)
    disaster_date: date
    damage_level: DamageLevel | None = None
    affected: str | None = Field(default=None, min_length=1, max_length=200, pattern=_LINE)
    members: tuple[_Name, ...] = Field(default=(), max_length=20)  # 世帯構成員 (optional on the form)
    issued_on: date
    verification_code: str = Field(pattern=r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
    verify_url: str = Field(pattern=r"^https://\S+$", max_length=300)

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        if self.kind == "risai" and (self.damage_level is None or self.affected is not None):
            raise ValueError("a 罹災証明書 states damage_level and no affected")
        if self.kind == "higai" and (self.affected is None or self.damage_level is not None):
            raise ValueError("a 被災証明書 states affected and no damage_level")
        if self.issued_on < self.disaster_date:
            raise ValueError("issued_on is before the disaster")
        return self

    @property
    def title(self) -> str:
        return CertificateKind(self.kind).title_ja
