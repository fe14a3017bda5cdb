"""The municipality registry and each municipality's resident-generation pointer.

Key: pk = municipality code, sk = "PROFILE". A full resident upload loads into a new generation and
the pointer flips only when the whole file is in, so readers always see a complete resident set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from victim_support.dynamo.attributes import from_item, to_item
from victim_support.errors import DomainError
from victim_support.tenants.models import Municipality

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PROFILE = "PROFILE"


class TenantRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, code: str) -> dict[str, Any]:
        return {"pk": {"S": code}, "sk": {"S": PROFILE}}

    def get(self, code: str) -> Municipality | None:
        resp = self._client.get_item(TableName=self._table, Key=self._key(code), ConsistentRead=True)
        item = resp.get("Item")
        if item is None:
            return None
        data = from_item(item)
        return Municipality.model_validate({k: v for k, v in data.items() if k not in ("pk", "sk")})

    def require(self, code: str) -> Municipality:
        municipality = self.get(code)
        if municipality is None:
            raise DomainError("MUNICIPALITY_NOT_REGISTERED", code)
        return municipality

    def all(self) -> list[Municipality]:
        """Every registered municipality, by code (the operator's view: billing, onboarding)."""
        found: list[Municipality] = []
        kwargs: dict[str, Any] = {}
        while True:
            resp = self._client.scan(
                TableName=self._table, FilterExpression="sk = :profile",
                ExpressionAttributeValues={":profile": {"S": PROFILE}}, ConsistentRead=True, **kwargs,
            )
            for item in resp.get("Items", []):
                data = from_item(item)
                found.append(Municipality.model_validate({k: v for k, v in data.items() if k not in ("pk", "sk")}))
            if "LastEvaluatedKey" not in resp:
                return sorted(found, key=lambda m: m.code)
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def save_profile(self, municipality: Municipality) -> None:
        """Create or update the profile; the generation pointer is never touched here."""
        profile = municipality.model_dump(exclude={"current_generation", "loading_generation", "registered_at"})
        names = {f"#{k}": k for k in profile}
        values = {f":{k}": v for k, v in profile.items()}
        sets = ", ".join(f"#{k} = :{k}" for k in profile)
        self._client.update_item(
            TableName=self._table,
            Key=self._key(municipality.code),
            UpdateExpression=(
                f"SET {sets}, #registered_at = if_not_exists(#registered_at, :registered_at), "
                "#current_generation = if_not_exists(#current_generation, :zero)"
            ),
            ExpressionAttributeNames={**names, "#registered_at": "registered_at",
                                      "#current_generation": "current_generation"},
            ExpressionAttributeValues=to_item(
                {**values, ":registered_at": municipality.registered_at, ":zero": 0}
            ),
        )

    def begin_generation(self, code: str, upload_id: str) -> int:
        """Reserve a new generation number for a full upload and mark it as loading."""
        try:
            resp = self._client.update_item(
                TableName=self._table,
                Key=self._key(code),
                UpdateExpression="SET generation_seq = if_not_exists(generation_seq, :zero) + :one, "
                "loading_generation = if_not_exists(generation_seq, :zero) + :one, loading_upload = :upload",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}, ":upload": {"S": upload_id}},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise DomainError("MUNICIPALITY_NOT_REGISTERED", code) from None
            raise
        return int(resp["Attributes"]["generation_seq"]["N"])

    def flip_generation(self, code: str, generation: int) -> tuple[int, int | None]:
        """Make ``generation`` current; returns the generations that were current and previous
        before. Refused when a newer full upload began loading meanwhile (that one will flip)."""
        try:
            resp = self._client.update_item(
                TableName=self._table,
                Key=self._key(code),
                UpdateExpression="SET current_generation = :g, previous_generation = current_generation "
                "REMOVE loading_generation, loading_upload",
                ConditionExpression="loading_generation = :g",
                ExpressionAttributeValues={":g": {"N": str(generation)}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise DomainError("CONFLICT", "a newer full upload superseded this one") from None
            raise
        old = resp.get("Attributes", {})
        previous = old.get("previous_generation", {}).get("N")
        return int(old.get("current_generation", {}).get("N", "0")), int(previous) if previous else None

    def abandon_generation(self, code: str, generation: int) -> None:
        """Forget a loading generation that failed; the current one stays as it was."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(code),
                UpdateExpression="REMOVE loading_generation, loading_upload",
                ConditionExpression="loading_generation = :g",
                ExpressionAttributeValues={":g": {"N": str(generation)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def generation_pointer(self, code: str) -> tuple[int, int | None]:
        """(current generation, loading generation or None)."""
        municipality = self.require(code)
        return municipality.current_generation, municipality.loading_generation
