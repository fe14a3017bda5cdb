from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from victim_support.errors import DomainError
from victim_support.rules import municipal_codes
from victim_support.rules.municipal_codes import (
    MunicipalityInfo,
    check_digit,
    is_valid,
    jis_codes_of,
    lookup,
    validate,
    with_check_digit,
)

REAL_CODES = ["131016", "011002", "141003", "434434", "172022"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_have_a_valid_check_digit(code: str) -> None:
    assert check_digit(code[:5]) == int(code[5])
    assert is_valid(code)
    assert validate(code) == code


@pytest.mark.parametrize("code", ["131017", "011000", "141004", "434435", "172020"])
def test_a_wrong_check_digit_is_invalid(code: str) -> None:
    assert not is_valid(code)
    with pytest.raises(DomainError) as err:
        validate(code)
    assert err.value.code == "MUNICIPALITY_CODE_INVALID"


@pytest.mark.parametrize("code", ["", "13101", "1310160", "13101a", "１３１０１６", " 131016"])
def test_malformed_codes_are_invalid(code: str) -> None:
    assert not is_valid(code)
    with pytest.raises(DomainError):
        lookup(code)


@given(st.from_regex(r"[0-9]{5}", fullmatch=True))
def test_every_five_digit_prefix_has_exactly_one_valid_code(prefix: str) -> None:
    valid = [prefix + d for d in "0123456789" if is_valid(prefix + d)]
    assert valid == [with_check_digit(prefix)]


def test_check_digit_rejects_non_five_digit_input() -> None:
    with pytest.raises(ValueError, match="5 ASCII digits"):
        check_digit("1310")


def test_tokyo_special_ward_is_a_ward_that_is_a_municipality() -> None:
    info = lookup("131016")
    assert info == MunicipalityInfo("131016", "千代田区", "東京都", "13", "ward", ())
    assert info.is_special_ward
    assert info.is_municipality


def test_sapporo_is_a_designated_city_made_of_its_ten_wards() -> None:
    info = lookup("011002")
    assert (info.name, info.prefecture, info.kind) == ("札幌市", "北海道", "designated_city")
    assert [w[:5] for w in info.ward_codes] == [f"011{n:02d}" for n in range(1, 11)]
    assert all(is_valid(w) for w in info.ward_codes)
    assert lookup(info.ward_codes[0]).name == "札幌市中央区"


def test_yokohama_wards_are_14101_to_14118() -> None:
    info = lookup("141003")
    assert info.kind == "designated_city"
    assert info.name == "横浜市"
    assert [w[:5] for w in info.ward_codes] == [str(n) for n in range(14101, 14119)]


def test_fukuoka_city_wards_are_40131_to_40137() -> None:
    assert jis_codes_of("401307") == frozenset(str(n) for n in range(40131, 40138))


def test_hamamatsu_renumbered_wards_still_resolve_to_the_city() -> None:
    info = lookup("221309")
    assert info.name == "浜松市"
    assert {w[:5] for w in info.ward_codes} == {"22138", "22139", "22140"}


def test_osaka_has_24_wards_and_sakai_is_a_separate_city() -> None:
    assert len(lookup("271004").ward_codes) == 24
    assert lookup("271403").name == "堺市"


def test_designated_city_ward_is_not_a_municipality_of_its_own() -> None:
    ward = lookup("011011")
    assert ward.kind == "ward"
    assert not ward.is_special_ward
    assert not ward.is_municipality


def test_town_name_drops_the_district() -> None:
    info = lookup("434434")
    assert (info.name, info.prefecture, info.kind) == ("益城町", "熊本県", "town")


def test_district_prefix_is_dropped_even_when_the_town_name_contains_gun() -> None:
    assert lookup(with_check_digit("28481")).name == "上郡町"


def test_city_whose_name_contains_gun_keeps_it() -> None:
    info = lookup(with_check_digit("07203"))
    assert (info.name, info.kind) == ("郡山市", "city")


def test_ordinary_city() -> None:
    info = lookup("172022")
    assert (info.name, info.prefecture, info.prefecture_code, info.kind) == ("七尾市", "石川県", "17", "city")


def test_village_kind() -> None:
    # 檜原村 (Tokyo)
    assert lookup(with_check_digit("13307")).kind == "village"


def test_prefecture_code_resolves_to_the_prefecture() -> None:
    info = lookup("130001")
    assert (info.name, info.kind, info.is_municipality) == ("東京都", "prefecture", False)


@pytest.mark.parametrize("five", ["13199", "99990", "48000", "01099"])
def test_valid_but_unassigned_code_is_unknown(five: str) -> None:
    with pytest.raises(DomainError) as err:
        lookup(with_check_digit(five))
    assert err.value.code == "MUNICIPALITY_UNKNOWN"


def test_first_lookup_builds_the_index_quickly() -> None:
    municipal_codes._index.cache_clear()
    lookup.cache_clear()
    start = time.perf_counter()
    lookup("131016")
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0  # about 0.15 s on a laptop; generous for slow CI
    start = time.perf_counter()
    lookup("172022")
    assert time.perf_counter() - start < 0.01
