"""Logger, Tracer and Metrics singletons: defined once, imported everywhere.

Logs are structured JSON carrying the municipality code and a correlation id, never personal data:
``redact`` masks any field whose name marks it as personal before it can reach a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "victim-support"
NAMESPACE = "VictimSupport"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

PERSONAL_FIELDS = frozenset(
    {
        "name", "name_kana", "birth_date", "address", "address_extra", "phone", "postal_code",
        "my_number", "care_needs", "protected", "氏名", "氏名カナ", "生年月日", "住所", "方書", "電話番号",
        "郵便番号", "要配慮者区分", "支援措置",
    }
)
MASK = "***"


def redact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of ``fields`` with every personal value masked (recursively for nested mappings)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in PERSONAL_FIELDS:
            out[key] = MASK
        elif isinstance(value, Mapping):
            out[key] = redact(value)
        else:
            out[key] = value
    return out
