"""Whether a municipality serves kiosks now, and whether a resident may be served at one.

The municipality: registered, on BCL's certificate-issuance server whatever its pattern (kiosk
issuance of 罹災・被災証明書 needs it: ``KIOSK_BCL_SERVER_REQUIRED``), kiosk issuance switched on
(``KIOSK_SERVICE_OFF``), and within its service hours (``KIOSK_OUT_OF_HOURS``, ``kiosk.hours``).

The resident: never at a kiosk when under 支援措置 (DV/stalking protection), nor when no longer a
resident (moved out or died: removed from, or absent in, the current resident generation, or marked
non-resident in the ledger). The kiosk gets ``KIOSK_NOT_AVAILABLE`` with the same message, status and
no detail whatever the reason, so the answer reveals nothing; the reason goes to the audit trail,
which only the municipality's staff read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NoReturn

from victim_support.errors import DomainError
from victim_support.kiosk.hours import check_open
from victim_support.residents.repository import ACTIVE

if TYPE_CHECKING:
    from victim_support.kiosk.context import KioskContext
    from victim_support.tenants.models import Municipality

Refusal = Literal["protected", "not_resident"]


def ensure_service(code: str, ctx: KioskContext) -> Municipality:
    municipality = ctx.tenants.get(code)
    if municipality is None:
        raise DomainError("MUNICIPALITY_NOT_REGISTERED", code)
    if not municipality.uses_bcl_issuance_server:
        raise DomainError("KIOSK_BCL_SERVER_REQUIRED")
    if not municipality.kiosk_issuance:
        raise DomainError("KIOSK_SERVICE_OFF")
    check_open(ctx.service_hours.get(code), ctx.clock())
    return municipality


def resident_refusal(resident: dict[str, Any] | None) -> Refusal | None:
    """Why the resident record (current generation) keeps the person from a kiosk, if it does."""
    if resident is None or resident.get("status", ACTIVE) != ACTIVE:
        return "not_resident"
    if resident.get("protected"):
        return "protected"
    return None


def refuse_unavailable(ctx: KioskContext, code: str, *, kiosk_id: str, session_id: str, person_id: str,
                       reason: Refusal) -> NoReturn:
    ctx.audit.record(code, actor=f"kiosk:{kiosk_id}", action="kiosk.refused", target=session_id,
                     reason="not available at a kiosk",
                     details={"kiosk_id": kiosk_id, "person_id": person_id, "refusal": reason})
    raise DomainError("KIOSK_NOT_AVAILABLE")
