"""What the authenticated resident may print now, per open disaster of the session's municipality.

For each open disaster whose ledger holds the resident (found by the household of the resident's
current record, or of the record of the generation the ledger was built from when the person has
moved household since):

* 罹災証明書 (``risai``) when the household has a damage level from a completed survey;
* 被災証明書 (``higai``) since the person is in the ledger.

Each option carries the price per copy the resident pays at the kiosk: 10 yen when the municipality
issues the certificate free, its fee otherwise (``fees.kiosk.kiosk_copy_charge``). A protected person
(支援措置: the person, the resident record, or any member of the household) or a person not resident
is never served (``KIOSK_NOT_AVAILABLE``, the neutral code); nothing printable is
``KIOSK_NOTHING_TO_PRINT``. Every read is keyed by the session's municipality code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from victim_support.errors import DomainError
from victim_support.kiosk.eligibility import Refusal, ensure_service, refuse_unavailable, resident_refusal
from victim_support.kiosk.models import PrintableCertificate, PrintableList
from victim_support.kiosk.sessions import keep_alive, load_session
from victim_support.observability import logger

if TYPE_CHECKING:
    from victim_support.kiosk.context import KioskContext
    from victim_support.kiosk.sessions import SessionRecord
    from victim_support.ledger.models import Disaster, Household
    from victim_support.ledger.repository import PersonRecord
    from victim_support.tenants.models import Municipality

MAX_COPIES = 10  # as many as a counter request may ask for
TITLES = {"risai": "罹災証明書", "higai": "被災証明書"}


def _in_ledger(ctx: KioskContext, code: str, disaster: Disaster, person_id: str, resident: dict[str, Any],
               current_generation: int) -> tuple[PersonRecord, Household | None] | None:
    household_id = str(resident["household_id"])
    found = ctx.ledger.get_person(code, disaster.disaster_id, household_id, person_id)
    if found is None and disaster.resident_generation != current_generation:
        earlier = ctx.residents.get(code, disaster.resident_generation, person_id)
        if earlier is not None and str(earlier["household_id"]) != household_id:
            household_id = str(earlier["household_id"])
            found = ctx.ledger.get_person(code, disaster.disaster_id, household_id, person_id)
    if found is None:
        return None
    return found, ctx.ledger.get_household(code, disaster.disaster_id, household_id)


@dataclass(frozen=True)
class Option:
    """A printable certificate with the ledger household it certifies (never shown to the kiosk)."""

    public: PrintableCertificate
    household_id: str


@dataclass(frozen=True)
class Printable:
    session: SessionRecord
    municipality: Municipality
    price_per_copy_yen: int
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.public.option_id == option_id), None)


def printable_options(kiosk_id: str, session_id: str, *, ctx: KioskContext) -> Printable:
    """The module docstring's options for the authenticated resident of the kiosk's live session."""
    from victim_support.fees.kiosk import kiosk_copy_charge

    record = load_session(kiosk_id, session_id, ctx)
    if record.status != "authenticated" or record.person_id is None:
        raise DomainError("KIOSK_SESSION_NOT_AUTHENTICATED")
    code, person_id = record.municipality_code, record.person_id
    logger.append_keys(municipality_code=code)
    municipality = ensure_service(code, ctx)

    def refuse(reason: Refusal) -> NoReturn:
        refuse_unavailable(ctx, code, kiosk_id=kiosk_id, session_id=session_id, person_id=person_id, reason=reason)

    resident = ctx.residents.get(code, municipality.current_generation, person_id)
    reason = resident_refusal(resident)
    if reason is not None:
        refuse(reason)
    assert resident is not None  # a missing record is refused above
    price = kiosk_copy_charge(municipality.certificate_fee_yen).resident_pays
    disasters = sorted((d for d in ctx.ledger.list_disasters(code) if d.status == "open"),
                       key=lambda d: (d.occurred_on, d.registered_at), reverse=True)
    options: list[Option] = []
    for disaster in disasters:
        found = _in_ledger(ctx, code, disaster, person_id, resident, municipality.current_generation)
        if found is None:
            continue
        person, household = found[0].person, found[1]
        if person.protected or (household is not None and household.protected):
            refuse("protected")
        if not person.resident:
            refuse("not_resident")
        kinds: list[Literal["risai", "higai"]] = ["higai"]
        if household is not None and household.damage_level is not None:
            kinds.insert(0, "risai")
        options += [Option(PrintableCertificate(
            option_id=f"{kind}:{disaster.disaster_id}", kind=kind, title_ja=TITLES[kind],
            disaster_id=disaster.disaster_id, disaster_name=disaster.name, occurred_on=disaster.occurred_on,
            price_per_copy_yen=price, max_copies=MAX_COPIES), household_id=person.household_id) for kind in kinds]
    if not options:
        raise DomainError("KIOSK_NOTHING_TO_PRINT")
    return Printable(record, municipality, price, tuple(options))


def list_printable(kiosk_id: str, session_id: str, *, ctx: KioskContext) -> PrintableList:
    printable = printable_options(kiosk_id, session_id, ctx=ctx)
    expires_at = keep_alive(printable.session, ctx)
    logger.info("kiosk certificates listed", extra={"session_id": session_id, "options": len(printable.options)})
    return PrintableList(session_id=session_id, municipality_code=printable.session.municipality_code,
                         certificates=[o.public for o in printable.options], expires_at=expires_at)
