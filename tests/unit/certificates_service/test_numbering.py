"""整理番号: the format, fiscal years starting in April, and allocation that never skips or repeats."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from botocore.exceptions import ClientError
from victim_support.certificates.numbering import (
    AllocationRefused,
    NumberingContention,
    allocate_number,
    fiscal_year_of_date,
    format_number,
    is_number,
    parse_number,
)


@pytest.mark.parametrize(("fiscal_year", "sequence", "expected"), [
    (2026, 123, "R8-000123"),
    (2026, 1, "R8-000001"),
    (2019, 1, "R1-000001"),  # 令和元年度: the era in force on 1 May 2019
    (2018, 42, "H30-000042"),
    (2024, 999_999, "R6-999999"),
    (2024, 1_000_000, "R6-1000000"),
])
def test_numbers_are_the_era_year_of_the_fiscal_year_and_six_digits(fiscal_year: int, sequence: int,
                                                                     expected: str) -> None:
    assert format_number(fiscal_year, sequence) == expected
    assert parse_number(expected) == (fiscal_year, sequence)


@pytest.mark.parametrize(("day", "fiscal_year"), [
    (date(2026, 3, 31), 2025), (date(2026, 4, 1), 2026), (date(2027, 1, 15), 2026), (date(2019, 4, 30), 2019),
])
def test_the_fiscal_year_starts_in_april(day: date, fiscal_year: int) -> None:
    assert fiscal_year_of_date(day) == fiscal_year


@pytest.mark.parametrize("text", ["", "R8-12345", "R8-0000001", "R0-000001", "H31-000001", "X8-000001",
                                  "R8_000123", "r8-000123", "R8-000000", "434434-R8-000123"])
def test_anything_else_is_not_a_number(text: str) -> None:
    assert not is_number(text)
    with pytest.raises(ValueError, match="not a certificate number"):
        parse_number(text)


def test_a_sequence_outside_the_range_is_refused() -> None:
    with pytest.raises(ValueError, match="sequence"):
        format_number(2026, 0)


def _cancelled(*codes: str | None) -> ClientError:
    return ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                        "CancellationReasons": [{"Code": c} if c else {"Code": "None"} for c in codes]},
                       "TransactWriteItems")


class FakeTable:
    """A counter item; ``races`` transactions lose to a concurrent writer that takes the next number."""

    def __init__(self, value: int = 0, races: int = 0, refuse_item: bool = False) -> None:
        self.value = value
        self.races = races
        self.refuse_item = refuse_item
        self.written: list[list[dict[str, Any]]] = []

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {"Item": {"value": {"N": str(self.value)}}} if self.value else {}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:  # boto3's parameter name
        if self.races:
            self.races -= 1
            self.value += 1  # the other writer's number
            raise _cancelled("ConditionalCheckFailed", "ConditionalCheckFailed")
        if self.refuse_item:
            raise _cancelled(None, "ConditionalCheckFailed")
        counter = TransactItems[0]["Put"]
        expected = counter.get("ExpressionAttributeValues", {}).get(":current", {"N": "0"})["N"]
        assert int(expected) == self.value
        self.value = int(counter["Item"]["value"]["N"])
        self.written.append(TransactItems)


def _items(seen: list[str]) -> Any:
    def items_for(number: str) -> list[dict[str, Any]]:
        seen.append(number)
        return [{"Put": {"TableName": "t", "Item": {"number": {"S": number}}}}]
    return items_for


def test_the_first_number_creates_the_counter_only_if_it_is_absent() -> None:
    table, seen = FakeTable(), list[str]()
    assert allocate_number(table, "t", "434434", 2026, _items(seen), sleep=lambda _: None) == "R8-000001"  # type: ignore[arg-type]
    counter = table.written[0][0]["Put"]
    assert counter["ConditionExpression"] == "attribute_not_exists(pk)"
    assert counter["Item"]["pk"] == {"S": "434434"} and counter["Item"]["sk"] == {"S": "COUNTER#2026"}
    assert table.written[0][1:] == [{"Put": {"TableName": "t", "Item": {"number": {"S": "R8-000001"}}}}]


def test_a_lost_race_reads_again_and_takes_the_next_number() -> None:
    table, seen = FakeTable(value=41, races=2), list[str]()
    number = allocate_number(table, "t", "434434", 2026, _items(seen), sleep=lambda _: None)  # type: ignore[arg-type]
    # Tried 42 (taken by another), then 43 (taken), then got 44: each attempt built its items anew.
    assert (number, seen) == ("R8-000044", ["R8-000042", "R8-000043", "R8-000044"])
    assert table.value == 44 and len(table.written) == 1


def test_a_failed_condition_of_the_callers_items_takes_no_number() -> None:
    table = FakeTable(value=7, refuse_item=True)
    with pytest.raises(AllocationRefused) as refused:
        allocate_number(table, "t", "434434", 2026, _items([]), sleep=lambda _: None)  # type: ignore[arg-type]
    assert refused.value.failed == [0] and table.value == 7


def test_an_error_of_items_for_takes_no_number() -> None:
    table = FakeTable(value=3)

    def refuse(number: str) -> list[dict[str, Any]]:
        raise RuntimeError("cannot print")

    with pytest.raises(RuntimeError):
        allocate_number(table, "t", "434434", 2026, refuse)  # type: ignore[arg-type]
    assert table.value == 3 and table.written == []


def test_endless_contention_gives_up_so_the_message_is_retried() -> None:
    table = FakeTable(races=100)
    with pytest.raises(NumberingContention):
        allocate_number(table, "t", "434434", 2026, _items([]), max_attempts=5, sleep=lambda _: None)  # type: ignore[arg-type]
