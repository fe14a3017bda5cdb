"""Hand-built DynamoDB attribute values (the low-level client's wire shape).

boto3's TypeSerializer dispatches through a chain of type checks and Decimal contexts per value; for
the resident loader, which writes millions of flat string items, a direct ``isinstance`` ladder is
several times faster. Mapping:

======================  ==========================================
Python                  AttributeValue
======================  ==========================================
str                     {"S": ...} (empty strings allowed: DynamoDB accepts them outside keys)
bool                    {"BOOL": ...} (tested before int: bool is an int subclass)
int, Decimal            {"N": str(value)}
None                    omitted from items and maps; {"NULL": True} inside lists
bytes                   {"B": ...}
list / tuple            {"L": [...]} (order kept; SS would lose it and refuse empty sets)
set / frozenset of str  {"SS": sorted(...)} (non-empty)
dict                    {"M": {...}} (None values omitted)
======================  ==========================================

float is refused: a binary float has no exact decimal form, so silently writing one would change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeAlias

# The wire shape of one attribute value, e.g. {"S": "千代田区"}; kept loose on purpose (the values
# nest), the typed request is assembled by the writer.
AttributeValueDict: TypeAlias = dict[str, Any]


def to_value(value: Any) -> AttributeValueDict:
    """One Python value as an attribute value (None becomes NULL here; items omit it instead)."""
    # Ordered by frequency in resident items: strings first.
    if type(value) is str:
        return {"S": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(int(value))}
    if isinstance(value, str):  # str subclasses (e.g. StrEnum members)
        return {"S": str(value)}
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("DynamoDB numbers must be finite")
        return {"N": str(value)}
    if isinstance(value, Mapping):
        return {"M": to_item(value)}
    if isinstance(value, list | tuple):
        return {"L": [to_value(v) for v in value]}
    if isinstance(value, set | frozenset):
        if not value or not all(isinstance(v, str) for v in value):
            raise TypeError("only non-empty sets of str are supported (as SS)")
        return {"SS": sorted(value)}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def to_item(mapping: Mapping[str, Any]) -> dict[str, AttributeValueDict]:
    """A whole item; attributes whose value is None are left out."""
    item: dict[str, AttributeValueDict] = {}
    for name, value in mapping.items():
        if type(value) is str:  # fast path: almost every resident attribute
            item[name] = {"S": value}
        elif value is not None:
            item[name] = to_value(value)
    return item


def _number(text: str) -> int | Decimal:
    try:
        return int(text)
    except ValueError:
        return Decimal(text)


def from_value(value: Mapping[str, Any]) -> Any:
    """One attribute value back as Python (N → int when integral text, else Decimal)."""
    (tag, payload), = value.items()
    if tag == "S":
        return payload
    if tag == "N":
        return _number(payload)
    if tag == "BOOL":
        return bool(payload)
    if tag == "NULL":
        return None
    if tag == "M":
        return from_item(payload)
    if tag == "L":
        return [from_value(v) for v in payload]
    if tag == "SS":
        return set(payload)
    if tag == "NS":
        return {_number(v) for v in payload}
    if tag == "B":
        return bytes(payload)
    if tag == "BS":
        return {bytes(v) for v in payload}
    raise ValueError(f"unknown attribute value type {tag!r}")


def from_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A whole item back as a plain dict."""
    result: dict[str, Any] = {}
    for name, value in item.items():
        s = value.get("S")
        result[name] = s if s is not None and len(value) == 1 else from_value(value)
    return result
