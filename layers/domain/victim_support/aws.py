"""One cached factory per AWS client, built from the settings.

Handlers never call ``boto3.client`` themselves: they ask this factory, and tests hand the domain
functions moto-backed or stubbed clients instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from victim_support.settings import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_kms.client import KMSClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sqs.client import SQSClient

_RETRIES = {"mode": "standard", "max_attempts": 8}


@dataclass
class AwsClients:
    settings: Settings
    session: boto3.session.Session = field(default_factory=boto3.session.Session)

    def _client(self, service: str, **config: Any) -> Any:
        return self.session.client(
            service,
            region_name=self.settings.region,
            endpoint_url=self.settings.endpoint_url,
            config=Config(retries=_RETRIES, tcp_keepalive=True, **config),
        )

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._client("dynamodb")
        return client

    @cached_property
    def dynamodb_bulk(self) -> DynamoDBClient:
        """A DynamoDB client without client-side parameter validation, for the bulk writer:
        its requests are hand-built and typed already, and validation is a large share of the CPU
        botocore spends per BatchWriteItem."""
        client: DynamoDBClient = self._client("dynamodb", parameter_validation=False)
        return client

    @cached_property
    def s3(self) -> S3Client:
        # Path-style addressing works against both real S3 and the local moto server on 127.0.0.1.
        client: S3Client = self._client(
            "s3", signature_version="s3v4", s3={"addressing_style": "path"}
        )
        return client

    @cached_property
    def sqs(self) -> SQSClient:
        client: SQSClient = self._client("sqs")
        return client

    @cached_property
    def kms(self) -> KMSClient:
        client: KMSClient = self._client("kms")
        return client


_clients: AwsClients | None = None


def get_clients() -> AwsClients:
    """The process-wide client factory (built lazily from the process settings)."""
    global _clients
    if _clients is None or _clients.settings is not get_settings():
        _clients = AwsClients(get_settings())
    return _clients
