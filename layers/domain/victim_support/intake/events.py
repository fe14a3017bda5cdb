"""S3 event notifications as they arrive on the upload-events queue."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from victim_support.intake.pipeline import ObjectRef

TEST_EVENT = "s3:TestEvent"


def object_refs(body: str) -> list[ObjectRef]:
    """The created objects named by one SQS message body; none for S3's test event.

    S3 URL-encodes object keys in notifications (a space arrives as '+', 住民 as %E4%BD%8F%E6%B0%91).
    """
    event: dict[str, Any] = json.loads(body)
    if event.get("Event") == TEST_EVENT:
        return []
    refs = []
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        s3 = record["s3"]
        refs.append(ObjectRef(
            bucket=s3["bucket"]["name"],
            key=unquote_plus(s3["object"]["key"]),
            size=int(s3["object"].get("size", 0)),
        ))
    return refs
