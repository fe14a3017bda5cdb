from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # type: ignore[import-untyped,unused-ignore]
from hypothesis import given
from hypothesis import strategies as st
from victim_support.dynamo.attributes import from_item, from_value, to_item, to_value


def test_flat_resident_item_maps_each_python_type_to_its_attribute_type() -> None:
    item = to_item({"pk": "131016", "name": "山田　太郎", "protected": True, "version": 3,
                    "care_needs": ["高齢者", "要介護"], "phone": None, "address_extra": ""})
    assert item == {
        "pk": {"S": "131016"},
        "name": {"S": "山田　太郎"},
        "protected": {"BOOL": True},
        "version": {"N": "3"},
        "care_needs": {"L": [{"S": "高齢者"}, {"S": "要介護"}]},
        "address_extra": {"S": ""},
    }


def test_none_is_omitted_from_items_and_maps_but_kept_in_lists() -> None:
    assert to_item({"a": None, "m": {"b": None, "c": "x"}, "l": [None]}) == {
        "m": {"M": {"c": {"S": "x"}}},
        "l": {"L": [{"NULL": True}]},
    }


def test_bool_is_not_written_as_a_number() -> None:
    assert to_value(False) == {"BOOL": False}
    assert to_value(0) == {"N": "0"}


def test_nested_maps_decimals_bytes_and_string_sets() -> None:
    assert to_value({"x": Decimal("1.50"), "b": b"\x00", "tags": {"b", "a"}}) == {
        "M": {"x": {"N": "1.50"}, "b": {"B": b"\x00"}, "tags": {"SS": ["a", "b"]}}
    }


@pytest.mark.parametrize("value", [1.5, object(), set(), {1, 2}, Decimal("NaN")])
def test_values_dynamodb_cannot_store_exactly_are_refused(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        to_value(value)


def test_from_value_reads_every_wire_type() -> None:
    assert from_value({"NS": ["1", "2.5"]}) == {1, Decimal("2.5")}
    assert from_value({"BS": [b"a"]}) == {b"a"}
    assert from_value({"SS": ["a"]}) == {"a"}
    assert from_value({"NULL": True}) is None
    with pytest.raises(ValueError, match="unknown attribute value type"):
        from_value({"X": 1})


def test_matches_boto3_type_serializer_on_resident_shaped_items() -> None:
    row = {"pk": "131016#G1", "sk": "P#1", "name": "山田　花子", "n": 12, "ok": False,
           "care": ["乳幼児"], "m": {"k": "v", "n": Decimal("2.5")}}
    serializer, deserializer = TypeSerializer(), TypeDeserializer()
    assert to_item(row) == {k: serializer.serialize(v) for k, v in row.items()}
    wire = {k: serializer.serialize(v) for k, v in row.items()}
    assert from_item(wire) == {k: deserializer.deserialize(v) for k, v in wire.items()}


_scalars = st.one_of(
    st.text(max_size=20),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.binary(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(min_size=1, max_size=10), _values, max_size=15))
def test_to_item_then_from_item_is_the_identity(mapping: dict[str, Any]) -> None:
    assert from_item(to_item(mapping)) == mapping


@given(st.dictionaries(st.text(min_size=1, max_size=10), st.one_of(st.none(), st.text()), max_size=10))
def test_round_trip_drops_exactly_the_none_attributes(mapping: dict[str, str | None]) -> None:
    assert from_item(to_item(mapping)) == {k: v for k, v in mapping.items() if v is not None}
