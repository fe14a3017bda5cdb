"""The victim ledger's models, by boundary: API input, queue message (commands), stored items, views.

What the ledger holds follows 災害対策基本法 第90条の3 (DOMAIN.md): per person and household — name,
birth date, sex, address or whereabouts, damage to the dwelling and other damage, support delivered,
special-care needs (要配慮者) and why, contact details, household composition, certificate issuance
status, consent to share and every sharing made, My Number where held (encrypted, never listed), notes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from victim_support.damage import DamageLevel, SurveyRound, resolve_level
from victim_support.errors import DomainError
from victim_support.rules.kana import normalize_kana
from victim_support.support import Circumstance, RebuildingMethod, SupportDecision

Cause = Literal["地震", "津波", "風水害", "土砂災害", "火災", "その他"]
DisasterStatus = Literal["building", "open", "closed"]
EvacuationStatus = Literal["at_home", "shelter", "relatives", "vehicle", "temporary_housing", "hospital",
                           "unknown"]
CareNeed = Literal["高齢者", "障害者", "要介護", "乳幼児", "妊産婦", "難病", "外国人", "その他"]
CertificateStatus = Literal["none", "applied", "issued", "reissued", "revoked"]
HouseholdId = Annotated[str, Field(pattern=r"^(X[0-9A-Za-z]{1,20}|[0-9]{1,15})$")]
PersonId = Annotated[str, Field(pattern=r"^(X[0-9A-Za-z]{1,20}|[0-9]{1,15})$")]
CommandId = Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{8,64}$", description="client-chosen, unique per command")]
DisasterId = Annotated[str, Field(pattern=r"^D\d{8}-[0-9a-f]{4}$", description="D + YYYYMMDD of occurrence + 4 hex")]
MunicipalityCode = Annotated[str, Field(pattern=r"^\d{6}$")]
ItemKind = Literal["disaster", "build", "household", "person", "event", "search"]


def _reading(value: str | None) -> str | None:
    """Readings are stored as residents' are: full-width katakana, one full-width space."""
    return None if value is None else normalize_kana(value)


# --- Disasters -----------------------------------------------------------------------------------

class DisasterRegistration(BaseModel):
    """``POST /disasters``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, description="e.g. 令和6年能登半島地震")
    occurred_on: date
    cause: Cause
    affected_areas: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(min_length=1, max_length=200)
    relief_act_applies: bool = Field(description="災害救助法の適用")


class Disaster(BaseModel):
    municipality_code: str
    disaster_id: str
    name: str
    occurred_on: date
    cause: Cause
    affected_areas: list[str]
    relief_act_applies: bool
    status: DisasterStatus
    resident_generation: int = Field(description="The resident generation the ledger was built from")
    households: int = 0
    persons: int = 0
    registered_at: str
    registered_by: str
    closed_at: str | None = None
    closed_by: str | None = None
    version: int = 1


class DisasterClosure(BaseModel):
    """``POST /disasters/{disaster_id}/close``: commands are refused from then on."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200)


class DisasterList(BaseModel):
    disasters: list[Disaster]


# --- Building a ledger (queue message, stored checkpoint) -------------------------------------------

class BuildRequest(BaseModel):
    """The ``ledger_build`` message; ``step`` counts continuations (each is its own idempotent unit)."""

    municipality_code: MunicipalityCode
    disaster_id: DisasterId
    step: int = Field(default=0, ge=0)


BuildPhase = Literal["persons", "households"]


class BuildCheckpoint(BaseModel):
    """Where an interrupted build resumes: in the persons pass, the residents query's last evaluated key
    (JSON); in the households pass, the last household written. Counts are of the households pass."""

    phase: BuildPhase = "persons"
    resume: str | None = None
    households: int = 0
    persons: int = 0
    started_at: str


class BuildProgress(BaseModel):
    municipality_code: str
    disaster_id: str
    done: bool
    phase: BuildPhase | Literal["skipped"]
    households: int = 0
    persons: int = 0


# --- Stored ledger items ------------------------------------------------------------------------

class SharingConsent(BaseModel):
    given: bool
    scope: str = Field(default="", max_length=200, description="to whom and what may be shared")
    recorded_at: str


class Person(BaseModel):
    """One victim (a resident of the generation, or added by hand)."""

    household_id: str
    person_id: str
    name: str
    name_kana: str
    birth_date: date | None = None
    sex: Literal["1", "2", "9"] = "9"
    relationship: str = ""
    address: str = Field(default="", description="住所 (the resident record's, or corrected)")
    address_extra: str = Field(default="", description="方書 (building and room)")
    evacuation: EvacuationStatus | None = Field(default=None, description="None: with the household")
    whereabouts: str = Field(default="", description="居所: where the person is now, if not at the address")
    phone: str = ""
    email: str = ""
    care_needs: list[CareNeed] = Field(default_factory=list)
    care_reason: str = ""
    protected: bool = Field(default=False, description="支援措置 (DV/stalking): address and whereabouts withheld")
    resident: bool = Field(default=True, description="False for visitors or people who moved out, added by hand")
    consent: SharingConsent | None = None
    has_my_number: bool = False
    notes: str = ""
    version: int = 1
    updated_at: str


class Household(BaseModel):
    household_id: str
    head_person_id: str = ""
    head_name: str
    dwelling_address: str = Field(description="被災住家の所在地 (the dwelling surveyed)")
    members: int
    single_person: bool
    evacuation: EvacuationStatus = "unknown"
    whereabouts: str = Field(default="", description="where the household is now (shelter name, relatives…)")
    damage_level: DamageLevel | None = Field(default=None, description="the latest completed survey round's")
    damage_round: SurveyRound | None = None
    other_damage: str = ""
    support_decided: int = 0
    support_paid: int = 0
    certificate: CertificateStatus = "none"
    protected: bool = Field(default=False, description="a member is under 支援措置")
    closed: bool = False
    version: int = 1
    updated_at: str


EventType = Literal["record_survey", "change_evacuation", "record_support", "record_consent", "record_disclosure",
                    "correct_person", "add_non_resident", "close_household"]


class HouseholdEvent(BaseModel):
    """One entry of a household's history: the command that changed it, with what it recorded.

    ``details`` holds the command's record (a survey's round and level, a support decision, a
    disclosure's recipient and items…), never a My Number; it is stored flat in the event item.
    """

    household_id: str
    command_id: str
    type: EventType
    at: str = Field(description="when the command was accepted")
    applied_at: str
    actor: str
    acting_for: str | None = None
    grant_id: str | None = None
    reason: str = ""
    person_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class SurveyRecord(BaseModel):
    """``details`` of a ``record_survey`` event."""

    round: SurveyRound
    surveyor: str
    surveyed_on: date
    dwelling_address: str
    completed: bool
    damage_level: DamageLevel | None = Field(default=None, description="the level found (from the ratio too)")
    loss_ratio: Decimal | None = None


class SearchEntry(BaseModel):
    """A search-key item: enough to list a match without reading the person (``protected`` lets the
    query side withhold the match from remote helpers)."""

    field: Literal["KANA", "NAME", "BIRTH", "ADDR"]
    key: str
    household_id: str
    person_id: str
    protected: bool
    resident: bool
    name: str
    name_kana: str
    birth_date: date | None = None


# --- Commands (API input → FIFO queue → ledger_updates) ------------------------------------------

class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command_id: CommandId
    household_id: HouseholdId
    reason: str = Field(default="", max_length=200, description="why (goes to the audit trail)")


class RecordSurvey(_Command):
    type: Literal["record_survey"] = "record_survey"
    round: SurveyRound
    surveyor: str = Field(min_length=1, max_length=80)
    surveyed_on: date
    dwelling_address: str = Field(min_length=1, max_length=200)
    completed: bool = True
    damage_level: DamageLevel | None = None
    loss_ratio: Decimal | None = Field(default=None, ge=0, le=100, description="損害割合 (%): the level follows")

    @model_validator(mode="after")
    def _level_resolves(self) -> Self:
        # A round still in progress may have no finding yet; a completed one needs exactly one level.
        if self.completed or self.damage_level is not None or self.loss_ratio is not None:
            self.level()
        return self

    def level(self) -> DamageLevel | None:
        """The level found: from the level, the loss ratio, or both when they agree."""
        if not self.completed and self.damage_level is None and self.loss_ratio is None:
            return None
        try:
            return resolve_level(self.damage_level, self.loss_ratio)
        except DomainError as error:
            raise ValueError(f"{error.code}: {error.detail or error.spec.en}") from None


class ChangeEvacuation(_Command):
    type: Literal["change_evacuation"] = "change_evacuation"
    evacuation: EvacuationStatus
    whereabouts: str = Field(default="", max_length=200)
    person_id: PersonId | None = Field(default=None, description="one person; None = the whole household")


class RecordSupport(_Command):
    type: Literal["record_support"] = "record_support"
    kind: Literal["decision", "payment", "relief"] = Field(
        description="decision: 支援金 computed and decided; payment: paid; relief: other support delivered")
    circumstance: Circumstance = Circumstance.NONE
    method: RebuildingMethod | None = None
    amount: int | None = Field(default=None, ge=0, le=3_000_000, description="payment: yen paid")
    description: str = Field(default="", max_length=200, description="relief: what was delivered")
    on: date

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Self:
        if self.kind == "payment" and not self.amount:
            raise ValueError("a payment needs an amount of 1 yen or more")
        if self.kind != "payment" and self.amount is not None:
            raise ValueError("amount belongs to a payment only")
        if self.kind == "relief" and not self.description.strip():
            raise ValueError("relief needs a description of what was delivered")
        return self


class RecordConsent(_Command):
    type: Literal["record_consent"] = "record_consent"
    person_id: PersonId
    given: bool
    scope: str = Field(default="", max_length=200)


class RecordDisclosure(_Command):
    type: Literal["record_disclosure"] = "record_disclosure"
    person_id: PersonId
    recipient: str = Field(min_length=1, max_length=120, description="to whom (e.g. 社会福祉協議会)")
    purpose: str = Field(min_length=1, max_length=200)
    items: list[str] = Field(min_length=1, max_length=20, description="which fields were shared")
    on: date


class CorrectPerson(_Command):
    type: Literal["correct_person"] = "correct_person"
    person_id: PersonId
    name: str | None = Field(default=None, max_length=60)
    name_kana: str | None = Field(default=None, max_length=60)
    address: str | None = Field(default=None, max_length=200)
    whereabouts: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=120)
    care_needs: list[CareNeed] | None = None
    care_reason: str | None = Field(default=None, max_length=200)
    # repr=False: My Number never reaches a log line or a traceback through the command's repr.
    my_number: str | None = Field(default=None, pattern=r"^\d{12}$", repr=False,
                                  description="stored encrypted, never listed")
    notes: str | None = Field(default=None, max_length=1000)

    @field_validator("name_kana")
    @classmethod
    def _kana(cls, value: str | None) -> str | None:
        return _reading(value)

    def changes(self) -> dict[str, Any]:
        """The fields to change, My Number excepted (it travels encrypted beside the command)."""
        return {name: getattr(self, name) for name in CORRECTABLE if getattr(self, name) is not None}


class AddNonResident(_Command):
    type: Literal["add_non_resident"] = "add_non_resident"
    person_id: PersonId = Field(description="X + up to 20 letters/digits")
    name: str = Field(min_length=1, max_length=60)
    name_kana: str = Field(min_length=1, max_length=60)
    birth_date: date | None = None
    sex: Literal["1", "2", "9"] = "9"
    address: str = Field(default="", max_length=200)
    whereabouts: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=20)
    dwelling_address: str = Field(default="", max_length=200, description="for a new household")
    notes: str = Field(default="", max_length=1000)

    @field_validator("name_kana")
    @classmethod
    def _kana(cls, value: str | None) -> str | None:
        return _reading(value)

    @model_validator(mode="after")
    def _hand_made_ids(self) -> Self:
        if not self.person_id.startswith("X"):
            raise ValueError("a person added by hand gets an id beginning with X")
        return self


class CloseHousehold(_Command):
    type: Literal["close_household"] = "close_household"


CORRECTABLE = ("name", "name_kana", "address", "whereabouts", "phone", "email", "care_needs", "care_reason",
               "notes")


LedgerCommand = Annotated[
    RecordSurvey | ChangeEvacuation | RecordSupport | RecordConsent | RecordDisclosure | CorrectPerson
    | AddNonResident | CloseHousehold,
    Field(discriminator="type"),
]


class CommandEnvelope(BaseModel):
    """The FIFO message: who sent which command for which municipality's ledger."""

    municipality_code: MunicipalityCode
    disaster_id: DisasterId
    actor: str
    acting_for: str | None = Field(default=None, description="grantee municipality when sent through a grant")
    grant_id: str | None = None
    sent_at: str
    command: LedgerCommand
    my_number_ct: str | None = Field(
        default=None, description="correct_person: the My Number, KMS-encrypted (base64) when the command was "
        "accepted, so the clear number is never on the queue; the command's own my_number is then empty")


class CommandAccepted(BaseModel):
    command_id: str
    household_id: str
    status: Literal["queued"] = "queued"


class CommandOutcome(BaseModel):
    """What the worker did with one command: a refusal is an outcome, not a failure."""

    command_id: str
    household_id: str
    status: Literal["applied", "refused", "duplicate"]
    code: str | None = None
    detail: str | None = None


class SupportRecord(BaseModel):
    """``details`` of a ``record_support`` event."""

    kind: Literal["decision", "payment", "relief"]
    on: date
    level: DamageLevel | None = None
    decision: SupportDecision | None = None
    amount: int | None = None
    description: str = ""
