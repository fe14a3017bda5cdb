"""Conditional writes: a failed condition is an answer (the item was not as expected), not an error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


def is_condition_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def conditional(call: Callable[..., Any], **kwargs: Any) -> bool:
    """Run a conditional DynamoDB write (``put_item``, ``update_item``…); False when its condition failed."""
    try:
        call(**kwargs)
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
    return True
