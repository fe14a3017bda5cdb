from __future__ import annotations

import threading

import pytest
from victim_support.errors import DomainError
from victim_support.rules.postal import (
    PostalArea,
    PostalLookup,
    PosutoPostalDirectory,
    get_postal_directory,
    normalize_postal_code,
)


@pytest.fixture(scope="module")
def directory() -> PosutoPostalDirectory:
    return get_postal_directory()


def test_directory_satisfies_the_postal_lookup_protocol(directory: PosutoPostalDirectory) -> None:
    lookup: PostalLookup = directory
    assert lookup.municipalities_of("1000001") == frozenset({"13101"})


@pytest.mark.parametrize("raw", ["1000001", "100-0001", "〒100-0001", " 1000001 "])
def test_postal_code_forms_are_normalised(raw: str) -> None:
    assert normalize_postal_code(raw) == "1000001"


@pytest.mark.parametrize("raw", ["100001", "10000011", "100-00-01", "１０００００１", "abcdefg", ""])
def test_malformed_postal_codes_belong_nowhere(directory: PosutoPostalDirectory, raw: str) -> None:
    assert normalize_postal_code(raw) is None
    assert directory.municipalities_of(raw) == frozenset()


def test_unknown_postal_code_belongs_nowhere(directory: PosutoPostalDirectory) -> None:
    assert directory.municipalities_of("0000000") == frozenset()
    assert not directory.belongs_to("0000000", "131016")


def test_postal_code_spanning_two_wards_lists_both(directory: PosutoPostalDirectory) -> None:
    # 004-0000 covers both 札幌市厚別区 and 札幌市清田区 (an "alternates" entry in the data)
    assert directory.municipalities_of("0040000") == frozenset({"01108", "01110"})


def test_ward_postal_code_belongs_to_the_designated_city(directory: PosutoPostalDirectory) -> None:
    assert directory.belongs_to("0600000", "011002")  # 札幌市中央区 → 札幌市
    assert directory.belongs_to("0600000", "011011")  # and to the ward itself
    assert not directory.belongs_to("0600000", "011029")  # not to another ward


def test_postal_code_of_another_municipality_does_not_belong(directory: PosutoPostalDirectory) -> None:
    assert directory.belongs_to("1000001", "131016")
    assert not directory.belongs_to("1000001", "172022")
    assert directory.belongs_to("861-2201", "434434")  # 益城町寺中


def test_belongs_to_refuses_an_invalid_municipality_code(directory: PosutoPostalDirectory) -> None:
    with pytest.raises(DomainError) as err:
        directory.belongs_to("1000001", "131017")
    assert err.value.code == "MUNICIPALITY_CODE_INVALID"


def test_areas_of_a_town_are_sorted_and_all_belong_to_it(directory: PosutoPostalDirectory) -> None:
    areas = directory.areas_of("434434")
    assert areas == sorted(areas, key=lambda a: (a.postal_code, a.town, a.jis_code))
    assert PostalArea("8612201", "43443", "熊本県", "上益城郡益城町", "寺中") in areas
    assert {a.jis_code for a in areas} == {"43443"}
    assert all(directory.belongs_to(a.postal_code, "434434") for a in areas)


def test_areas_of_a_designated_city_cover_all_its_wards(directory: PosutoPostalDirectory) -> None:
    areas = directory.areas_of("141003")
    assert {a.jis_code for a in areas} == {str(n) for n in range(14101, 14119)}
    assert all(a.city.startswith("横浜市") for a in areas)


def test_areas_include_alternate_entries(directory: PosutoPostalDirectory) -> None:
    # 004-0000's primary record is 厚別区; 清田区 only appears as its alternate
    kiyota = directory.areas_of("011100")
    assert any(a.postal_code == "0040000" for a in kiyota)


def test_lookups_are_cached(directory: PosutoPostalDirectory) -> None:
    assert directory.areas_of("172022") is directory.areas_of("172022")


def test_directory_can_be_shared_across_threads() -> None:
    directory = PosutoPostalDirectory()
    expected = [get_postal_directory().belongs_to(f"100{n:04d}", "131016") for n in range(50)]
    results: list[list[bool]] = []

    def work() -> None:
        results.append([directory.belongs_to(f"100{n:04d}", "131016") for n in range(50)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4
    assert any(expected)
