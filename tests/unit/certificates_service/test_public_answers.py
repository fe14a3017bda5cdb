"""The public verification never tells more than the paper in the verifier's hands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from victim_support.certificates.public import (
    VerificationAnswer,
    parse_reference,
    public_reference,
    verify_certificate,
)
from victim_support.certificates.store import CertificateRecord, IssueRecord, SigningProfile
from victim_support.certificates.verification import verification_code

SECRET = b"k" * 32
NUMBER = "R8-000123"
FIRST, SECOND = date(2026, 5, 1), date(2026, 6, 1)


def issue(count: int, on: date) -> IssueRecord:
    return IssueRecord(municipality_code="434434", number=NUMBER, reissue_count=count, issued_on=on, issued_at="t",
                       request_id="r", channel="counter", document_key="k", document_sha256="0" * 64,
                       signing_key_id="key")


@dataclass
class FakeStore:
    record: CertificateRecord | None
    issued: list[IssueRecord] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)

    def get_certificate(self, code: str, number: str) -> CertificateRecord | None:
        self.reads.append("certificate")
        return self.record if (code, number) == ("434434", NUMBER) else None

    def issues(self, code: str, number: str) -> list[IssueRecord]:
        self.reads.append("issues")
        return self.issued if (code, number) == ("434434", NUMBER) else []


class FakeKeys:
    def find(self, code: str) -> SigningProfile | None:
        return SigningProfile(municipality_code=code, status="active", claim_id="c", claimed_at="t",
                              created_by="op") if code == "434434" else None

    def secret(self, code: str) -> bytes:
        return SECRET


@dataclass
class FakeTenant:
    name: str


class FakeTenants:
    def get(self, code: str) -> FakeTenant | None:
        return FakeTenant("益城町") if code == "434434" else None


def record(status: str = "issued", count: int = 1, on: date = SECOND) -> CertificateRecord:
    return CertificateRecord(municipality_code="434434", number=NUMBER, fiscal_year=2026, kind="risai",
                             disaster_id="D20260420-0001", household_id="1", status=status,
                             reissue_count=count, issued_on=on, first_issued_on=FIRST)


def code_for(count: int, on: date) -> str:
    return verification_code(SECRET, "434434", NUMBER, on, count)


def answer(store: FakeStore, reference: str, code: str) -> VerificationAnswer:
    return verify_certificate(reference, code, store=store, keys=FakeKeys(), tenants=FakeTenants())  # type: ignore[arg-type]


REFERENCE = public_reference("434434", NUMBER)
PERSONAL = {"head_name", "head_address", "dwelling_address", "damage_level", "members", "household_id",
            "person_id", "disaster_id", "name", "address"}


def test_the_right_code_answers_status_kind_date_and_municipality_only() -> None:
    store = FakeStore(record(), [issue(0, FIRST), issue(1, SECOND)])
    got = answer(store, REFERENCE, code_for(1, SECOND))
    assert got.model_dump() == {"status": "valid", "kind": "risai", "title": "罹災証明書", "issued_on": SECOND,
                                "reissue_count": 1, "municipality_code": "434434", "municipality_name": "益城町"}
    assert not PERSONAL & set(VerificationAnswer.model_fields)


def test_an_earlier_issue_is_superseded_and_a_revoked_one_revoked() -> None:
    issues = [issue(0, FIRST), issue(1, SECOND)]
    assert answer(FakeStore(record(), issues), REFERENCE, code_for(0, FIRST)).status == "superseded"
    assert answer(FakeStore(record("revoked"), issues), REFERENCE, code_for(1, SECOND)).status == "revoked"
    assert answer(FakeStore(record("revoked"), issues), REFERENCE, code_for(0, FIRST)).status == "revoked"


def test_a_wrong_code_and_a_missing_number_are_the_same_unknown_after_the_same_reads() -> None:
    existing, missing, elsewhere = (FakeStore(record(), [issue(0, FIRST), issue(1, SECOND)]), FakeStore(None),
                                    FakeStore(record(), [issue(1, SECOND)]))
    wrong = answer(existing, REFERENCE, "0000-0000-0000-0000")
    absent = answer(missing, public_reference("434434", "R8-000999"), code_for(1, SECOND))
    other_town = answer(elsewhere, public_reference("131016", NUMBER), code_for(1, SECOND))
    assert wrong == absent == other_town == VerificationAnswer(status="unknown")
    assert wrong.model_dump(exclude_none=True) == {"status": "unknown"}
    assert existing.reads == missing.reads == elsewhere.reads == ["certificate", "issues"]


def test_a_certificate_still_being_produced_or_void_is_unknown() -> None:
    for status in ("issuing", "void"):
        store = FakeStore(record(status), [issue(1, SECOND)])
        assert answer(store, REFERENCE, code_for(1, SECOND)).status == "unknown"


def test_references_are_code_dash_number() -> None:
    assert parse_reference("434434-R8-000123") == ("434434", "R8-000123")
    for bad in ("R8-000123", "434434R8-000123", "43443-R8-000123", "434434-R8-000000", "434434-R8-000123/x", ""):
        assert parse_reference(bad) is None
