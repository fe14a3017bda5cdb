"""The ledger household's certificate status (``Household.certificate``), kept by the certificate side.

The ledger core offers no command for it, so this is a single conditional update of the household
item that follows the ledger's own protocol: the status and ``updated_at`` change only if ``version``
is still the one read, and ``version`` goes up by one, so a ledger command computed from the older
household fails its version check and is computed again (``LedgerRepository.commit``). No ledger
event is written (the history's event types are the ledger's); the change is in the audit trail as
``certificate.issued`` / ``certificate.revoked``.

The ledger's status is that of the household's 罹災証明書 (the certificate 第90条の3 has the ledger
record); a 被災証明書 leaves it alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from victim_support.clock import Clock, iso, utc_now
from victim_support.ledger import keys
from victim_support.ledger.models import CertificateStatus
from victim_support.ledger.repository import LedgerRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

MAX_ATTEMPTS = 5


class LedgerStatusConflict(Exception):
    """The household kept changing: the caller retries later (a worker lets its message be redelivered)."""


def set_certificate_status(ledger: LedgerRepository, client: DynamoDBClient, code: str, disaster_id: str,
                           household_id: str, status: CertificateStatus, *, clock: Clock = utc_now) -> bool:
    """Set the household's status; False when there is no such household (nothing to update)."""
    for _ in range(MAX_ATTEMPTS):
        household = ledger.get_household(code, disaster_id, household_id)
        if household is None:
            return False
        if household.certificate == status:
            return True
        try:
            client.update_item(
                TableName=ledger.table_name,
                Key={"pk": {"S": keys.household_pk(code, disaster_id, household_id)},
                     "sk": {"S": keys.household_sk(household_id)}},
                UpdateExpression="SET certificate = :status, updated_at = :now, #version = #version + :one",
                ConditionExpression="#version = :expected",
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={":status": {"S": status}, ":now": {"S": iso(clock())},
                                           ":one": {"N": "1"}, ":expected": {"N": str(household.version)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                continue
            raise
        return True
    raise LedgerStatusConflict(f"household kept changing over {MAX_ATTEMPTS} attempts")

