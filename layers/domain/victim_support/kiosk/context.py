"""What the kiosk API, its authorizer and the operator's kiosk routes need, built once per container.

Not in ``victim_support.wiring``: that module imports every repository of the system, and the kiosk
handler's cold start should pay only for what the kiosk path uses. Each dependency is built on first
use (the authorizer never touches the ledger, the staff API never the sessions), so a function's
environment needs to name only the resources its grants allow. ``kiosk_context()`` rebuilds when the
process settings change (the local runner and the tests switch them), like ``aws.get_clients``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from victim_support.aws import AwsClients, get_clients
from victim_support.clock import Clock, utc_now
from victim_support.settings import Settings, get_settings

if TYPE_CHECKING:
    from victim_support.audit import AuditLog
    from victim_support.certificates.context import CertificateContext
    from victim_support.kiosk.hours import ServiceConfigRepository
    from victim_support.kiosk.issuance import KioskIssuanceRepository
    from victim_support.kiosk.jpki import TrustStore
    from victim_support.kiosk.links import CardLinks
    from victim_support.kiosk.registry import KioskRegistry, SecretBox
    from victim_support.kiosk.sessions import SessionRepository
    from victim_support.kiosk.signing import NonceStore, RequestVerifier
    from victim_support.ledger.repository import LedgerRepository
    from victim_support.residents.repository import ResidentRepository
    from victim_support.tenants.repository import TenantRepository

SESSION_IDLE_S = 180


@dataclass
class KioskContext:
    settings: Settings
    clients: AwsClients
    clock: Clock = utc_now
    session_idle_s: int = SESSION_IDLE_S

    @cached_property
    def registry(self) -> KioskRegistry:
        from victim_support.kiosk.registry import KioskRegistry

        return KioskRegistry(self.clients.dynamodb, self.settings.table("kiosks"))

    @cached_property
    def secrets(self) -> SecretBox:
        from victim_support.kiosk.registry import SecretBox

        return SecretBox(self.clients.kms, self.settings.keys.get("data"))

    @cached_property
    def nonces(self) -> NonceStore:
        from victim_support.kiosk.signing import NonceStore

        return NonceStore(self.clients.dynamodb, self.settings.table("kiosk_nonces"))

    @cached_property
    def verifier(self) -> RequestVerifier:
        from victim_support.kiosk.signing import RequestVerifier

        return RequestVerifier(self.registry, self.secrets, self.nonces, clock=self.clock)

    @cached_property
    def service_hours(self) -> ServiceConfigRepository:
        from victim_support.kiosk.hours import ServiceConfigRepository

        return ServiceConfigRepository(self.clients.dynamodb, self.settings.table("kiosks"))

    @cached_property
    def sessions(self) -> SessionRepository:
        from victim_support.kiosk.sessions import SessionRepository

        return SessionRepository(self.clients.dynamodb, self.settings.table("kiosk_sessions"))

    @cached_property
    def links(self) -> CardLinks:
        from victim_support.kiosk.links import CardLinks

        return CardLinks(self.clients.dynamodb, self.settings.table("card_links"))

    @cached_property
    def trust(self) -> TrustStore:
        from victim_support.kiosk.jpki import TrustStore

        return TrustStore(self.clients.s3, self.settings.bucket("jpki"))

    @cached_property
    def tenants(self) -> TenantRepository:
        from victim_support.tenants.repository import TenantRepository

        return TenantRepository(self.clients.dynamodb, self.settings.table("tenants"))

    @cached_property
    def residents(self) -> ResidentRepository:
        from victim_support.residents.repository import ResidentRepository

        return ResidentRepository(self.clients.dynamodb, self.settings.table("residents"))

    @cached_property
    def ledger(self) -> LedgerRepository:
        from victim_support.ledger.repository import LedgerRepository

        return LedgerRepository(self.clients.dynamodb, self.settings.table("ledger"))

    @cached_property
    def audit(self) -> AuditLog:
        from victim_support.audit import AuditLog

        return AuditLog(self.clients.dynamodb, self.settings.table("audit"), self.clock)


    @cached_property
    def issuances(self) -> KioskIssuanceRepository:
        from victim_support.kiosk.issuance import KioskIssuanceRepository

        return KioskIssuanceRepository(self.clients.dynamodb, self.settings.table("kiosk_issuances"))

    @cached_property
    def certificates(self) -> CertificateContext:
        """Certificate requests, documents and their records, as the staff API and the worker use them."""
        from victim_support.wiring import build_certificate_context

        return build_certificate_context(self.settings, self.clients, clock=self.clock)


_context: KioskContext | None = None


def kiosk_context() -> KioskContext:
    """The process-wide context, rebuilt when the settings (or their clients) were replaced."""
    global _context
    settings, clients = get_settings(), get_clients()
    if _context is None or _context.settings is not settings or _context.clients is not clients:
        _context = KioskContext(settings, clients)
    return _context
