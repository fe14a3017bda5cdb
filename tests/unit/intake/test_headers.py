from __future__ import annotations

import pytest
from victim_support.errors import DomainError
from victim_support.intake.headers import map_headers

JA = ["宛名番号", "世帯番号", "氏名", "氏名カナ", "生年月日", "性別", "続柄", "郵便番号", "住所"]
EN = ["person_id", "household_id", "name", "name_kana", "birth_date", "sex", "relationship", "postal_code", "address"]


def test_japanese_headers_map_to_canonical_names() -> None:
    header_map = map_headers(JA, "full")
    assert header_map.index["person_id"] == 0
    assert header_map.index["address"] == 8
    assert header_map.width == 9
    assert header_map.unknown == ()


def test_english_headers_in_any_order_map_to_their_positions() -> None:
    header_map = map_headers(list(reversed(EN)), "full")
    assert header_map.index["person_id"] == 8
    assert header_map.index["address"] == 0


def test_headers_are_normalised_bom_spaces_width_and_case() -> None:
    header = ["\ufeff宛名番号", " 世帯番号 ", "氏名", "氏名ｶﾅ", "Birth_Date", "ＳＥＸ", "relationship", "address"]
    header_map = map_headers(header, "full")
    assert header_map.index["name_kana"] == 3
    assert header_map.index["birth_date"] == 4
    assert header_map.index["sex"] == 5


def test_unknown_columns_are_warnings_not_errors() -> None:
    header_map = map_headers([*JA, "備考", ""], "full")
    assert [(u.position, u.header, u.code) for u in header_map.unknown] == [
        (9, "備考", "WARN_UNKNOWN_COLUMN"),
        (10, "", "WARN_UNKNOWN_COLUMN"),
    ]


def test_missing_required_columns_are_named_in_japanese_and_english() -> None:
    with pytest.raises(DomainError) as raised:
        map_headers([c for c in JA if c not in ("氏名", "住所")], "full")
    assert raised.value.code == "FILE_MISSING_COLUMNS"
    assert raised.value.detail == "missing: 氏名 (name), 住所 (address)"


def test_change_columns_are_required_only_in_delta_files() -> None:
    map_headers(JA, "full")
    with pytest.raises(DomainError) as raised:
        map_headers(JA, "delta")
    assert raised.value.detail == "missing: 異動区分 (change_type), 異動日 (change_date)"
    assert map_headers([*JA, "異動区分", "異動日"], "delta").index["change_date"] == 10


def test_a_column_given_twice_fails_the_file() -> None:
    with pytest.raises(DomainError) as raised:
        map_headers([*JA, "name"], "full")
    assert raised.value.code == "FILE_MISSING_COLUMNS"
    assert raised.value.detail == "duplicate: 氏名 (name)"
