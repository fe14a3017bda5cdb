"""Disasters: registering one starts building its ledger from the residents current at that moment.

A disaster is ``building`` until the build worker has written every household, ``open`` while its
ledger takes commands, and ``closed`` when the municipality ends it (commands are refused from then
on; the ledger stays readable). Its id is ``D`` + the date it occurred + 4 hex digits, unique per
municipality (``D20240101-3fa9``).
"""

from __future__ import annotations

import secrets
from datetime import date

from victim_support.auth import Caller
from victim_support.clock import iso
from victim_support.errors import DomainError
from victim_support.ledger.access import audit_remote, resolve_access
from victim_support.ledger.models import BuildRequest, Disaster, DisasterClosure, DisasterList, DisasterRegistration
from victim_support.ledger.repository import LedgerContext
from victim_support.observability import logger

_ID_ATTEMPTS = 5


def new_disaster_id(occurred_on: date) -> str:
    return f"D{occurred_on:%Y%m%d}-{secrets.token_hex(2)}"


def request_build(ctx: LedgerContext, request: BuildRequest) -> None:
    ctx.sqs.send_message(QueueUrl=ctx.need(ctx.build_queue_url, "queue ledger_build"),
                         MessageBody=request.model_dump_json())


def register_disaster(code: str, registration: DisasterRegistration, *, actor: str, ctx: LedgerContext) -> Disaster:
    """Store the disaster (``building``, on the current resident generation) and queue its build."""
    current_generation, _ = ctx.tenants.generation_pointer(code)
    if current_generation == 0:
        raise DomainError("LEDGER_NO_RESIDENTS")
    now = iso(ctx.clock())
    for _ in range(_ID_ATTEMPTS):
        disaster = Disaster(
            municipality_code=code, disaster_id=new_disaster_id(registration.occurred_on), name=registration.name,
            occurred_on=registration.occurred_on, cause=registration.cause,
            affected_areas=registration.affected_areas, relief_act_applies=registration.relief_act_applies,
            status="building", resident_generation=current_generation, registered_at=now, registered_by=actor,
        )
        if ctx.ledger.create_disaster(disaster):
            break
    else:  # 5 collisions among 65,536 ids of one day means something else is wrong
        raise DomainError("CONFLICT", "could not allocate a disaster id")
    try:
        request_build(ctx, BuildRequest(municipality_code=code, disaster_id=disaster.disaster_id))
    except Exception:
        # Without its build message the disaster would stay "building" for ever: undo, let the caller retry.
        ctx.ledger.delete_disaster(code, disaster.disaster_id)
        raise
    ctx.audit.record(code, actor=actor, action="ledger.disaster_registered", target=disaster.disaster_id,
                     reason=registration.name,
                     details={"occurred_on": registration.occurred_on.isoformat(), "cause": registration.cause,
                              "resident_generation": current_generation,
                              "relief_act_applies": registration.relief_act_applies})
    logger.info("disaster registered", extra={"disaster_id": disaster.disaster_id,
                                               "resident_generation": current_generation})
    return disaster


def list_disasters(code: str, *, ctx: LedgerContext) -> DisasterList:
    """The municipality's disasters, newest occurrence first."""
    disasters = sorted(ctx.ledger.list_disasters(code), key=lambda d: (d.occurred_on, d.registered_at), reverse=True)
    return DisasterList(disasters=disasters)


def get_disaster(caller: Caller, disaster_id: str, *, municipality_code: str | None, ctx: LedgerContext) -> Disaster:
    """One disaster: the caller's own, or another municipality's through a live grant for it."""
    access = resolve_access(caller, disaster_id, "read", municipality_code=municipality_code, grants=ctx.grants,
                            clock=ctx.clock)
    disaster = ctx.ledger.require_disaster(access.municipality_code, disaster_id)
    audit_remote(access, ctx.audit, action="ledger.disaster_read", target=disaster_id, details={})
    return disaster


def close_disaster(code: str, disaster_id: str, closure: DisasterClosure, *, actor: str,
                   ctx: LedgerContext) -> Disaster:
    """End the disaster's ledger: later commands are refused (here and in the worker) with
    LEDGER_DISASTER_CLOSED; closing twice is refused the same way."""
    disaster = ctx.ledger.close_disaster(code, disaster_id, actor=actor, at=iso(ctx.clock()))
    ctx.audit.record(code, actor=actor, action="ledger.disaster_closed", target=disaster_id, reason=closure.reason,
                     details={"households": disaster.households, "persons": disaster.persons})
    return disaster
