"""Powertools idempotency records in the topology's idempotency table.

The persistence layer resolves its table and client from the settings on every use, not once at
import: the decorator needs it at import time, but the local runner and the tests switch endpoints
and tables under an already imported handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from victim_support.aws import get_clients
from victim_support.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class SettingsPersistenceLayer(DynamoDBPersistenceLayer):
    def __init__(self, table: str = "idempotency") -> None:
        self._logical_table = table
        super().__init__(table_name=table, boto3_client=get_clients().dynamodb)

    @property
    def client(self) -> DynamoDBClient:
        return get_clients().dynamodb

    @client.setter
    def client(self, _: Any) -> None:
        """The base class assigns its client once; this layer always asks the factory instead."""

    @property
    def table_name(self) -> str:
        return get_settings().table(self._logical_table)

    @table_name.setter
    def table_name(self, _: str) -> None:
        """The base class assigns its table once; this layer always asks the settings instead."""
