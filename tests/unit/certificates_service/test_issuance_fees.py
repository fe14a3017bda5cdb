"""What an issuance record charges per copy, by channel (fees from the tenant, kiosk split from fees)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from victim_support.certificates.service import issuance_record
from victim_support.certificates.store import RequestRecord
from victim_support.tenants.models import Municipality


def tenant(fee: int, pattern: str = "A") -> Municipality:
    return Municipality(code="434434", name="益城町", prefecture="熊本県", population=33_000,
                        pattern=pattern, uses_bcl_issuance_server=True, start_month="2024-04",
                        certificate_fee_yen=fee, kind="town", registered_at="t", updated_at="t")


def request(channel: str, kind: str = "risai", reissue: int = 0) -> RequestRecord:
    return RequestRecord(municipality_code="434434", request_id="434434-20260501T090000-0a1b2c3d4e",
                         kind=kind, disaster_id="D20260420-0001", household_id="1", copies=2,
                         channel=channel, requested_by="u", requested_at="t", status="issued",
                         number="R8-000007", fiscal_year=2026, reissue_count=reissue, issued_on=date(2026, 5, 1),
                         numbered_at="2026-05-01T00:30:00Z", document_sha256="a" * 64)


@pytest.mark.parametrize(("channel", "fee", "expected"), [
    ("counter", 0, (0, 0, 0)), ("counter", 300, (300, 0, 0)), ("online", 300, (300, 0, 0)),
    ("kiosk", 0, (0, 10, 107)), ("kiosk", 300, (300, 0, 117)),
])
def test_fees_per_copy_by_channel(channel: str, fee: int, expected: tuple[int, int, int]) -> None:
    record = issuance_record(request(channel), tenant(fee))
    assert (record.certificate_fee_yen, record.resident_print_fee_yen, record.municipality_consignment_yen) == expected
    assert record.bcl_fee_yen == 0  # 罹災・被災証明書 carry no BCL fee, even in pattern A
    assert (record.copies, record.channel, record.certificate_number) == (2, channel, "R8-000007")


def test_each_issue_is_its_own_record_dated_when_its_number_was_taken() -> None:
    first = issuance_record(request("counter"), tenant(0))
    again = issuance_record(request("counter", reissue=1), tenant(0))
    assert (first.issuance_id, again.issuance_id) == ("R8-000007-00", "R8-000007-01")
    assert first.issued_at == datetime(2026, 5, 1, 0, 30, tzinfo=UTC)
    assert issuance_record(request("online", kind="higai"), tenant(0)).certificate_type.value == "higai"
