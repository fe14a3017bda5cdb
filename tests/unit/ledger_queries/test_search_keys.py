"""A query's normalised prefix is a prefix of the stored search key of the person it should find."""

from __future__ import annotations

from datetime import date

import pytest
from victim_support.errors import DomainError
from victim_support.ledger import keys
from victim_support.ledger.queries import SearchCriteria, item_kind, search_keys, search_prefixes
from victim_support.rules.normalize import address_key, birth_key, kana_key, name_key


def stored(field: keys.SearchField, key: str) -> str:
    return keys.search_sk(field, key, "1001", "200001")


@pytest.mark.parametrize("query", ["やまだ", "ﾔﾏﾀﾞ", "ヤマダ　タ", "ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ・たろう"])
def test_a_reading_in_any_form_finds_the_full_width_katakana_record(query: str) -> None:
    (prefix,) = search_prefixes(SearchCriteria(kana=query))
    assert stored("KANA", kana_key("ヤマダ　タロウ")).startswith(prefix)


@pytest.mark.parametrize("query", ["山田 太郎", "山田　太郎", "山田太郎", "山田"])
def test_a_name_with_or_without_space_finds_the_record(query: str) -> None:
    (prefix,) = search_prefixes(SearchCriteria(name=query))
    assert stored("NAME", name_key("山田　太郎")).startswith(prefix)


@pytest.mark.parametrize("query", ["S45.3.12", "昭和45年3月12日", "19700312", "1970-03-12", "1970/3/12", "1970",
                                   "1970-03", "１９７０"])
def test_a_birth_date_in_era_or_gregorian_form_finds_the_record(query: str) -> None:
    (prefix,) = search_prefixes(SearchCriteria(birth=query))
    assert stored("BIRTH", birth_key(date(1970, 3, 12))).startswith(prefix)


def test_a_year_month_prefix_does_not_reach_another_month() -> None:
    (prefix,) = search_prefixes(SearchCriteria(birth="1970-3"))
    assert prefix == keys.search_prefix("BIRTH", "1970-03")
    assert not stored("BIRTH", "1970-11-02").startswith(prefix)


@pytest.mark.parametrize("query", ["益城町宮園1丁目2番3号", "益城町宮園１－２－３", "益城町宮園一丁目2番地の3",
                                   "益城町宮園1-2"])
def test_address_variants_find_the_record(query: str) -> None:
    (prefix,) = search_prefixes(SearchCriteria(address=query))
    assert stored("ADDR", address_key("益城町宮園1-2-3")).startswith(prefix)


def test_criteria_come_in_a_fixed_order_and_blank_ones_are_ignored() -> None:
    built = search_keys(SearchCriteria(address="宮園1-2", birth="S45.3.12", kana="やまだ", name=" "))
    assert built == [("KANA", "ヤマダ"), ("BIRTH", "1970-03-12"), ("ADDR", "宮園1-2")]


@pytest.mark.parametrize("criteria", [SearchCriteria(), SearchCriteria(kana="　"), SearchCriteria(kana="・"),
                                      SearchCriteria(birth="yesterday"), SearchCriteria(birth="S45")])
def test_a_search_without_anything_to_match_is_refused(criteria: SearchCriteria) -> None:
    with pytest.raises(DomainError) as caught:
        search_keys(criteria)
    assert caught.value.code == "LEDGER_SEARCH_INVALID"


def test_sort_keys_are_classified_without_confusing_households_that_share_a_prefix() -> None:
    assert item_kind(keys.household_sk("12")) == "household"
    assert item_kind(keys.person_sk("12", "3")) == "person"
    assert item_kind(keys.event_sk("12", "2026-01-01T00:00:00Z", "cmd-0001")) == "event"
    assert item_kind(stored("KANA", "ヤマダ")) == "other"
    # The household range query ends at "H#12$": "$" sorts right after "#", before any digit.
    assert keys.person_sk("12", "3") < keys.household_sk("12") + "$" < keys.household_sk("123")


# --- Partitions -------------------------------------------------------------------------------------

STORED_KEYS: list[tuple[keys.SearchField, str]] = [
    ("KANA", kana_key("ヤマダ　タロウ")), ("KANA", kana_key("ガッコウ")), ("NAME", name_key("𠮷田　一郎")),
    ("NAME", name_key("Ｊｏｈｎ　SMITH")), ("BIRTH", birth_key(date(1970, 3, 12))),
    ("ADDR", address_key("熊本県上益城郡益城町宮園1丁目2番3号")), ("ADDR", address_key("益城町宮園5-6")),
]


@pytest.mark.parametrize(("field", "key"), STORED_KEYS)
@pytest.mark.parametrize("household_id", ["1", "1001", "X7", "999999999999999"])
def test_every_prefix_a_search_accepts_queries_the_partition_of_the_stored_key(
        field: keys.SearchField, key: str, household_id: str) -> None:
    stored_pk = keys.search_pk("434434", "D20261126-3fa9", field, key, household_id)
    assert stored_pk.startswith(keys.ledger_pk("434434", "D20261126-3fa9") + "#K#")
    shortest = 4 if field == "BIRTH" else 1
    for end in range(shortest, len(key) + 1):
        pks = keys.search_pks("434434", "D20261126-3fa9", field, key[:end])
        assert stored_pk in pks
        assert len(pks) == (keys.ADDRESS_SHARDS if field == "ADDR" else 1)


def test_a_search_partition_holds_one_reading_initial_name_initial_or_birth_year() -> None:
    def pk(field: keys.SearchField, key: str) -> str:
        return keys.search_pk("434434", "D20261126-3fa9", field, key, "1001")

    assert pk("KANA", "ヤマダ") == pk("KANA", "ヤマモト") != pk("KANA", "サトウ")
    assert pk("NAME", "山田太郎") == pk("NAME", "山本") != pk("NAME", "佐藤")
    assert pk("BIRTH", "1970-03-12") == pk("BIRTH", "1970-12-01") != pk("BIRTH", "1971-03-12")
    with pytest.raises(ValueError, match="BIRTH"):
        keys.search_pks("434434", "D20261126-3fa9", "BIRTH", "197")


def test_households_spread_over_the_directory_shards_the_same_way_in_every_process() -> None:
    shards = [keys.household_shard(str(n)) for n in range(500_000_001, 500_002_001)]
    assert keys.household_shard("1") == 7  # crc32, not Python's per-process salted hash()
    counts = [shards.count(shard) for shard in range(keys.DIRECTORY_SHARDS)]
    assert min(counts) > 2000 / keys.DIRECTORY_SHARDS / 2
    pk, sk = keys.directory_key("434434", "D20261126-3fa9", "1")
    assert (pk, sk) == (keys.directory_pks("434434", "D20261126-3fa9")[7], "1")
    # A household's member stubs are one run of sort keys: "12#..." never interleaves with "123#...".
    assert keys.stub_key("434434", "D", "12", "9")[1] < keys.stub_key("434434", "D", "123", "1")[1]
    assert keys.stub_key("434434", "D", "12", "9")[0] == keys.stub_pk("434434", "D", keys.household_shard("12"))
