"""The kiosk API's Lambda REQUEST authorizer: a registered, enabled kiosk's signature over the request.

The checks are ``kiosk.signing.RequestVerifier`` (the only verification of kiosk requests); this
adapter turns its answer into an IAM policy for the one method called. Refusals are a Deny whose
context carries the stable code: the API's ACCESS_DENIED gateway response renders it as the JSON
error body (403), locally the gateway does the same. Results are never cached: every request has
its own nonce.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from victim_support.errors import DomainError
from victim_support.kiosk.context import kiosk_context
from victim_support.kiosk.signing import SignedRequest
from victim_support.observability import logger


def policy(effect: str, principal: str, resource: str, context: dict[str, str]) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = SignedRequest.of(str(event.get("httpMethod", "")), str(event.get("path", "")), event.get("headers"))
    method_arn = str(event["methodArn"])
    try:
        kiosk = kiosk_context().verifier.verify(request)
    except DomainError as refusal:
        logger.info("kiosk request refused", extra={"code": refusal.code})
        return policy("Deny", "anonymous", method_arn,
                      {"code": refusal.code, "message": refusal.spec.en, "message_ja": refusal.spec.ja})
    logger.append_keys(kiosk_id=kiosk.kiosk_id)
    return policy("Allow", kiosk.kiosk_id, method_arn, kiosk.context())
