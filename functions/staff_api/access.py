"""Who may call a staff API route: shared by the resolver and every router included in it.

The municipality always comes from the caller's authorizer claims, never from the request.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from victim_support.auth import Caller
from victim_support.errors import DomainError
from victim_support.observability import logger


def caller_of(router: BaseRouter) -> Caller:
    event = router.current_event
    if not isinstance(event, APIGatewayProxyEvent):  # the staff API is a REST API (proxy events)
        raise DomainError("FORBIDDEN", "no authorizer context")
    claims = event.request_context.authorizer.claims or {}
    return Caller.from_claims(claims)


def staff_municipality(router: BaseRouter) -> tuple[Caller, str]:
    """The calling staff member and their municipality; FORBIDDEN without one."""
    caller = caller_of(router)
    if not caller.municipality_code:
        raise DomainError("FORBIDDEN", "the caller belongs to no municipality")
    logger.append_keys(municipality_code=caller.municipality_code)
    return caller, caller.municipality_code


def operator(router: BaseRouter) -> Caller:
    """The calling operator; FORBIDDEN for anyone else."""
    caller = caller_of(router)
    if not caller.is_operator:
        raise DomainError("FORBIDDEN", "operators only")
    return caller
