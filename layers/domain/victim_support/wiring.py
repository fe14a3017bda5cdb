"""Cached factories: each handler builds its dependencies here, once per execution environment.

Domain functions take these as parameters; tests build their own against moto or fakes.
"""

from __future__ import annotations

from functools import lru_cache

from victim_support.audit import AuditLog
from victim_support.aws import get_clients
from victim_support.billing.service import StatementStore
from victim_support.intake.jobs import UploadJobRepository
from victim_support.intake.pipeline import IntakeContext
from victim_support.intake.reports import ReportStore
from victim_support.issuances.repository import IssuanceRepository
from victim_support.onboarding.repository import OnboardingRepository
from victim_support.residents.repository import ResidentRepository
from victim_support.rules.postal import get_postal_directory
from victim_support.settings import get_settings
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


def reset() -> None:
    """Forget every cached dependency (the local runner and tests call this after changing settings)."""
    for factory in (tenants, jobs, audit, reports, intake_context, issuances, statements, onboarding):
        factory.cache_clear()
