"""What the certificate routes and the generation worker need, built once per execution environment
by ``wiring.certificate_context``; each function's environment names only the resources its grants
allow, so the optional ones are checked where they are used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from victim_support.audit import AuditLog
from victim_support.certificates.keys_registry import SigningKeys
from victim_support.certificates.store import CertificateStore, DocumentStore
from victim_support.clock import Clock, utc_now
from victim_support.issuances.repository import IssuanceRepository
from victim_support.ledger.repository import LedgerRepository
from victim_support.settings import configured
from victim_support.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_kms.client import KMSClient
    from mypy_boto3_sqs.client import SQSClient


@dataclass
class CertificateContext:
    store: CertificateStore
    documents: DocumentStore
    keys: SigningKeys
    tenants: TenantRepository
    audit: AuditLog
    dynamodb: DynamoDBClient
    kms: KMSClient
    sqs: SQSClient
    ledger: LedgerRepository | None = None
    issuances: IssuanceRepository | None = None
    requests_queue_url: str | None = None
    data_key_id: str | None = None
    presign_expiry_seconds: int = 900
    link_expiry_seconds: int = 300
    clock: Clock = utc_now
    # Seal images by seal id, as printed: fetched and checked once per execution environment.
    seal_images: dict[str, bytes] = field(default_factory=dict)

    def need_ledger(self) -> LedgerRepository:
        return configured(self.ledger, "table ledger")

    def need_issuances(self) -> IssuanceRepository:
        return configured(self.issuances, "table issuances")

    def need(self, value: str | None, what: str) -> str:
        return configured(value, what)
