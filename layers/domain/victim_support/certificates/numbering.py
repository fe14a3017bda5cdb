"""整理番号: certificate numbers per municipality and fiscal year, gapless and unique.

Format ``R8-000123``: the era letter and era year of the fiscal year (April to March; the era is the
one in force on 1 May of the year the fiscal year starts, as ``fees.fiscal_year_label`` names it, so
FY2019 is ``R1`` and FY2026 ``R8``), a hyphen, and the number within the year, zero-padded to six
digits (a seventh digit appears only past 999,999). Each fiscal year starts again at 1. The number
is unique within its municipality; the public verification reference prefixes the municipality
code (``434434-R8-000123``, see ``public``).

Allocation. The counter item of (municipality, fiscal year) holds the last number given. A number is
taken in the same ``TransactWriteItems`` that writes the certificate record (and whatever else the
caller adds), conditioned on the counter still holding the value read. So a number exists only
together with its certificate record, two concurrent requests can never take the same one (one
transaction wins, the other is cancelled and reads again), and nothing is ever taken and given back:
a refused request takes no number, so there is no gap. The price is one hot item per municipality
and year; DynamoDB serialises the transactions on it, which certificate rates (a few per second at
the peak of a large disaster) are far from saturating.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from victim_support.certificates.store import TransactItem, cancellation_codes, counter_sk, key
from victim_support.fees.fiscal import fiscal_year_of
from victim_support.rules.wareki import ERAS, era_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

NUMBER_PATTERN = r"^[MTSHR][1-9][0-9]?-[0-9]{6,7}$"
_NUMBER = re.compile(NUMBER_PATTERN)
MAX_SEQUENCE = 9_999_999
MAX_ATTEMPTS = 60
_ERA_BY_LETTER = {era.letter: era for era in ERAS}


def fiscal_year_of_date(day: date) -> int:
    return fiscal_year_of(day.year, day.month)


def format_number(fiscal_year: int, sequence: int) -> str:
    """``format_number(2026, 123) == "R8-000123"``."""
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"the sequence must be 1..{MAX_SEQUENCE}")
    era = era_of(date(fiscal_year, 5, 1))
    return f"{era.letter}{fiscal_year - era.first_day.year + 1}-{sequence:06d}"


def parse_number(number: str) -> tuple[int, int]:
    """(fiscal year, sequence) of a number; ValueError for anything that is not one."""
    if not _NUMBER.match(number):
        raise ValueError("not a certificate number")
    era_part, sequence = number.split("-")
    era = _ERA_BY_LETTER[era_part[0]]
    fiscal_year = era.first_day.year + int(era_part[1:]) - 1
    # Round trip: "H31", "R0" or sequence 0 name no number under the 1-May rule.
    try:
        canonical = format_number(fiscal_year, int(sequence))
    except ValueError:
        canonical = None
    if canonical != number:
        raise ValueError("not a certificate number")
    return fiscal_year, int(sequence)


def is_number(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


class NumberingContention(Exception):
    """The counter kept moving under this request: the message goes back to the queue."""


class AllocationRefused(Exception):
    """A condition of the caller's own transaction items failed (indexes into those items)."""

    def __init__(self, failed: list[int]) -> None:
        super().__init__(f"transaction items {failed} failed their conditions")
        self.failed = failed


def read_counter(client: DynamoDBClient, table: str, code: str, fiscal_year: int) -> int:
    """The last number given in the fiscal year (0 before the first)."""
    item = client.get_item(TableName=table, Key=key(code, counter_sk(fiscal_year)), ConsistentRead=True,
                           ProjectionExpression="#v", ExpressionAttributeNames={"#v": "value"}).get("Item")
    return int(item["value"]["N"]) if item else 0


def counter_entry(table: str, code: str, fiscal_year: int, current: int) -> TransactItem:
    """The counter's part of the transaction: current → current + 1, only if it still holds current."""
    condition: dict[str, Any] = (
        {"ConditionExpression": "attribute_not_exists(pk)"} if current == 0 else
        {"ConditionExpression": "#v = :current", "ExpressionAttributeNames": {"#v": "value"},
         "ExpressionAttributeValues": {":current": {"N": str(current)}}}
    )
    item = {**key(code, counter_sk(fiscal_year)), "entity": {"S": "counter"}, "value": {"N": str(current + 1)}}
    return {"Put": {"TableName": table, "Item": item, **condition}}


def allocate_number(
    client: DynamoDBClient,
    table: str,
    code: str,
    fiscal_year: int,
    items_for: Callable[[str], list[TransactItem]],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Take the next number of the fiscal year together with ``items_for(number)``, atomically.

    ``items_for`` is called once per attempt with the number that attempt would take (it may do
    work that depends on the number, or raise to give up: nothing is taken then). Raises
    ``AllocationRefused`` when one of those items fails its own condition, ``NumberingContention``
    after ``max_attempts`` lost races.
    """
    for attempt in range(max_attempts):
        current = read_counter(client, table, code, fiscal_year)
        number = format_number(fiscal_year, current + 1)
        extra = items_for(number)
        try:
            client.transact_write_items(
                TransactItems=[counter_entry(table, code, fiscal_year, current), *extra],  # type: ignore[list-item]
            )
        except ClientError as error:
            codes = cancellation_codes(error)
            if not codes and error.response.get("Error", {}).get("Code") != "TransactionConflictException":
                raise
            failed = [i - 1 for i, c in enumerate(codes) if i > 0 and c == "ConditionalCheckFailed"]
            # A lost race fails the counter and, as the winner wrote that number's items, usually
            # theirs too: only failures with the counter intact are the caller's own.
            if failed and codes[0] != "ConditionalCheckFailed":
                raise AllocationRefused(failed) from None
            # The counter moved, or another transaction held one of the items: read again after a
            # short random pause, so racing writers do not retry in lockstep.
            sleep(random.uniform(0, min(0.25, 0.005 * 2 ** min(attempt, 6))))  # noqa: S311 - jitter, not a secret
            continue
        return number
    raise NumberingContention(f"no number after {max_attempts} attempts")
