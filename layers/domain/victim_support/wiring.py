"""Cached factories: each handler builds its dependencies here, once per execution environment.

Domain functions take these as parameters; tests build their own against moto or fakes.
"""

from __future__ import annotations

from functools import lru_cache

from victim_support.audit import AuditLog
from victim_support.aws import AwsClients, get_clients
from victim_support.billing.service import StatementStore
from victim_support.certificates.context import CertificateContext
from victim_support.certificates.keys_registry import SigningKeys
from victim_support.certificates.store import CertificateStore, DocumentStore
from victim_support.clock import Clock, utc_now
from victim_support.intake.jobs import UploadJobRepository
from victim_support.intake.pipeline import IntakeContext
from victim_support.intake.reports import ReportStore
from victim_support.issuances.repository import IssuanceRepository
from victim_support.ledger.access import GrantRepository
from victim_support.ledger.applications import ApplicationRepository
from victim_support.ledger.export import ExportStore
from victim_support.ledger.queries import LedgerReader
from victim_support.ledger.repository import LedgerContext, LedgerRepository
from victim_support.onboarding.repository import OnboardingRepository
from victim_support.residents.repository import ResidentRepository
from victim_support.rules.postal import get_postal_directory
from victim_support.settings import Settings, get_settings
from victim_support.tenants.repository import TenantRepository


@lru_cache(maxsize=1)
def tenants() -> TenantRepository:
    return TenantRepository(get_clients().dynamodb, get_settings().table("tenants"))


@lru_cache(maxsize=1)
def jobs() -> UploadJobRepository:
    return UploadJobRepository(get_clients().dynamodb, get_settings().table("upload_jobs"))


@lru_cache(maxsize=1)
def audit() -> AuditLog:
    return AuditLog(get_clients().dynamodb, get_settings().table("audit"))


@lru_cache(maxsize=1)
def onboarding() -> OnboardingRepository:
    return OnboardingRepository(get_clients().dynamodb, get_settings().table("onboarding"))


@lru_cache(maxsize=1)
def reports() -> ReportStore:
    return ReportStore(get_clients().s3, get_settings().bucket("reports"))


@lru_cache(maxsize=1)
def intake_context() -> IntakeContext:
    settings, clients = get_settings(), get_clients()
    return IntakeContext(
        s3=clients.s3, dynamodb=clients.dynamodb, bulk_dynamodb=clients.dynamodb_bulk, sqs=clients.sqs,
        jobs=jobs(), tenants=tenants(),
        residents=ResidentRepository(clients.dynamodb, settings.table("residents")),
        reports=reports(), audit=audit(), postal=get_postal_directory(),
        chunk_queue_url=settings.queues.get("upload_chunks"),
        purge_queue_url=settings.queues.get("residents_purge"),
        chunk_rows=settings.chunk_rows, max_upload_bytes=settings.max_upload_bytes,
    )


@lru_cache(maxsize=1)
def issuances() -> IssuanceRepository:
    return IssuanceRepository(get_clients().dynamodb, get_settings().table("issuances"))


@lru_cache(maxsize=1)
def statements() -> StatementStore:
    return StatementStore(get_clients().s3, get_settings().bucket("billing"))


@lru_cache(maxsize=1)
def grants() -> GrantRepository:
    return GrantRepository(get_clients().dynamodb, get_settings().table("ledger"))


@lru_cache(maxsize=1)
def ledger_reader() -> LedgerReader:
    return LedgerReader(get_clients().dynamodb, get_settings().table("ledger"))


@lru_cache(maxsize=1)
def applications() -> ApplicationRepository:
    return ApplicationRepository(get_clients().dynamodb, get_settings().table("ledger"))


@lru_cache(maxsize=1)
def exports() -> ExportStore:
    return ExportStore(get_clients().s3, get_settings().bucket("reports"))


@lru_cache(maxsize=1)
def ledger() -> LedgerRepository:
    settings = get_settings()
    return LedgerRepository(get_clients().dynamodb, settings.table("ledger"), settings.tables.get("audit"))


@lru_cache(maxsize=1)
def ledger_context() -> LedgerContext:
    """The ledger's routes and workers; each function's environment names only what it is granted."""
    settings, clients = get_settings(), get_clients()
    return LedgerContext(
        ledger=ledger(), audit=audit(), tenants=tenants(), grants=grants(), dynamodb=clients.dynamodb,
        bulk_dynamodb=clients.dynamodb_bulk, sqs=clients.sqs, kms=clients.kms,
        residents_table=settings.tables.get("residents"), commands_queue_url=settings.queues.get("ledger_commands"),
        build_queue_url=settings.queues.get("ledger_build"), data_key_id=settings.keys.get("data"),
    )


@lru_cache(maxsize=1)
def certificate_store() -> CertificateStore:
    return CertificateStore(get_clients().dynamodb, get_settings().table("certificates"))


@lru_cache(maxsize=1)
def signing_keys() -> SigningKeys:
    """Signers and verification secrets per municipality, cached for the execution environment."""
    return SigningKeys(certificate_store(), get_clients().kms)


def build_certificate_context(settings: Settings, clients: AwsClients, *, store: CertificateStore | None = None,
                              keys: SigningKeys | None = None, clock: Clock = utc_now) -> CertificateContext:
    """A certificate context over the given settings; the optional resources are those the function's
    environment names (its grants)."""
    store = store or CertificateStore(clients.dynamodb, settings.table("certificates"))
    tables = settings.tables
    return CertificateContext(
        store=store,
        documents=DocumentStore(clients.s3, settings.buckets.get("certificates"), settings.buckets.get("seals")),
        keys=keys or SigningKeys(store, clients.kms),
        tenants=TenantRepository(clients.dynamodb, settings.table("tenants")),
        audit=AuditLog(clients.dynamodb, settings.table("audit"), clock), dynamodb=clients.dynamodb,
        kms=clients.kms, sqs=clients.sqs,
        ledger=(LedgerRepository(clients.dynamodb, tables["ledger"], tables.get("audit"))
                if "ledger" in tables else None),
        issuances=IssuanceRepository(clients.dynamodb, tables["issuances"]) if "issuances" in tables else None,
        requests_queue_url=settings.queues.get("certificate_requests"), data_key_id=settings.keys.get("data"),
        presign_expiry_seconds=settings.presign_expiry_seconds, link_expiry_seconds=settings.report_link_expiry_seconds,
        clock=clock,
    )


@lru_cache(maxsize=1)
def certificate_context() -> CertificateContext:
    """The certificate routes and the generation worker; each function's environment names only what
    it is granted."""
    return build_certificate_context(get_settings(), get_clients(), store=certificate_store(), keys=signing_keys())


def reset() -> None:
    """Forget every cached dependency (the local runner and tests call this after changing settings)."""
    for factory in (tenants, jobs, audit, reports, intake_context, issuances, statements, onboarding,
                    grants, ledger_reader, applications, exports, ledger, ledger_context,
                    certificate_store, signing_keys, certificate_context):
        factory.cache_clear()
