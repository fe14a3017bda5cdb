"""Onboarding applications and the progress of their steps and milestones, in the onboarding table.

Keys: pk = municipality code; sk = "APPLICATION" for the application, "STEP#<key>" for a step and
"MILESTONE#<key>" for a milestone. Progress lives in items of its own rather than inside the
application item: the operator edits the application while staff tick steps, and a step write that
never rewrites the application cannot lose the other side's change. Each item carries its own
version for optimistic locking, and the whole checklist is still one Query on the pk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from victim_support.dynamo.attributes import from_item, to_item
from victim_support.errors import DomainError
from victim_support.onboarding.models import OnboardingApplication, ProgressItem, ProgressKind

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

APPLICATION = "APPLICATION"
_PREFIX: dict[ProgressKind, str] = {"step": "STEP#", "milestone": "MILESTONE#"}


def progress_sk(kind: ProgressKind, key: str) -> str:
    return f"{_PREFIX[kind]}{key}"


@dataclass
class StoredOnboarding:
    """One municipality's application with every progress item recorded for it."""

    application: OnboardingApplication
    steps: dict[str, ProgressItem] = field(default_factory=dict)
    milestones: dict[str, ProgressItem] = field(default_factory=dict)


class OnboardingRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- reads ----------------------------------------------------------------------------------------------

    def get(self, code: str) -> StoredOnboarding | None:
        """The application and its progress (one strongly consistent Query), or None."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": code}}, "ConsistentRead": True,
        }
        while True:
            resp = self._client.query(**kwargs)
            items += [from_item(i) for i in resp.get("Items", [])]
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return _assemble(code, items)

    def all(self) -> list[StoredOnboarding]:
        """Every application with its progress (operator overview), ordered by municipality code."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for item in self._scan():
            groups.setdefault(item["pk"], []).append(item)
        found = (_assemble(code, items) for code, items in sorted(groups.items()))
        return [stored for stored in found if stored is not None]

    def _scan(self) -> Iterator[dict[str, Any]]:
        # The table holds one application and ~16 progress items per municipality: a few thousand
        # items for every municipality in Japan, so the operator's overview can afford a scan.
        kwargs: dict[str, Any] = {"TableName": self._table, "ConsistentRead": True}
        while True:
            resp = self._client.scan(**kwargs)
            for item in resp.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    # --- writes ---------------------------------------------------------------------------------------------

    def save(
        self,
        code: str,
        *,
        application: OnboardingApplication | None = None,
        application_expected: int | None = None,
        progress: ProgressItem | None = None,
        progress_expected: int | None = None,
    ) -> None:
        """Write the application and/or one progress item, each only if its stored version is still
        the expected one (None: the item must not exist yet); both in one transaction when both are
        given. CONFLICT when another writer got there first."""
        puts: list[dict[str, Any]] = []
        if application is not None:
            if application.municipality_code != code:
                raise ValueError("the application belongs to another municipality")
            puts.append(self._put(code, APPLICATION, application.model_dump(mode="json"), application_expected))
        if progress is not None:
            puts.append(self._put(code, progress_sk(progress.kind, progress.key), progress.model_dump(mode="json"),
                                  progress_expected))
        if not puts:
            return
        try:
            if len(puts) == 1:
                self._client.put_item(**puts[0])
            else:
                transaction: list[Any] = [{"Put": p} for p in puts]
                self._client.transact_write_items(TransactItems=transaction)
        except ClientError as exc:
            code_ = exc.response["Error"]["Code"]
            if code_ in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                raise DomainError("CONFLICT", "the onboarding record changed meanwhile; read it again") from None
            raise

    def _put(self, code: str, sk: str, data: dict[str, Any], expected: int | None) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": self._table, "Item": to_item({**data, "pk": code, "sk": sk})}
        if expected is None:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            request["ConditionExpression"] = "version = :expected"
            request["ExpressionAttributeValues"] = {":expected": {"N": str(expected)}}
        return request


def _assemble(code: str, items: list[dict[str, Any]]) -> StoredOnboarding | None:
    application = next((i for i in items if i["sk"] == APPLICATION), None)
    if application is None:
        return None
    stored = StoredOnboarding(OnboardingApplication.model_validate(_fields(application)))
    for item in items:
        if item["sk"] == APPLICATION:
            continue
        progress = ProgressItem.model_validate(_fields(item))
        target = stored.steps if progress.kind == "step" else stored.milestones
        target[progress.key] = progress
    if stored.application.municipality_code != code:  # a key must never cross municipalities
        raise ValueError("stored application under another municipality's key")
    return stored


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")}
