from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from victim_support.rules.normalize import address_key, birth_key, kana_key, name_key

# kana_key


@pytest.mark.parametrize(
    "text",
    [
        "ヤマダタロウ",
        "ヤマダ　タロウ",
        "ヤマダ タロウ",
        " ヤマダ\tタロウ ",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        "ﾔﾏﾀﾞﾀﾛｳ",
        "やまだ　たろう",
        "やまだたろう",
        "ヤマダ・タロウ",
        "ﾔﾏﾀﾞ･ﾀﾛｳ",
        "やまだ・タロウ",
        "ヤマダ\u200bタロウ",
    ],
)
def test_width_space_dots_and_kana_form_give_one_kana_key(text: str) -> None:
    assert kana_key(text) == "ヤマダタロウ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ﾕｰｺ", "ユーコ"),
        ("ゆーこ", "ユーコ"),
        ("ユ-コ", "ユーコ"),
        ("ユ－コ", "ユーコ"),
        ("ユ‐コ", "ユーコ"),
        ("ユ−コ", "ユーコ"),
        ("ユ―コ", "ユーコ"),
        ("ガッコウ", "ガッコウ"),  # small ッ stays small
        ("がっこう", "ガッコウ"),
        ("ｶﾞｯｺｳ", "ガッコウ"),
        ("ｷｬｼｰ", "キャシー"),
        ("ヴァイオレット", "ヴァイオレット"),
        ("ゔぁいおれっと", "ヴァイオレット"),
        ("ｳﾞｧｲｵﾚｯﾄ", "ヴァイオレット"),
        ("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "パピプペポ"),
        ("か゛", "ガ"),  # a spacing dakuten is joined to its kana
        ("ｽﾐｽ･ｼﾞｮﾝ", "スミスジョン"),
        ("", ""),
        ("　 ", ""),
    ],
)
def test_kana_key_examples(text: str, expected: str) -> None:
    assert kana_key(text) == expected


def test_kana_key_keeps_small_kana_distinct_from_large() -> None:
    assert kana_key("キャ") != kana_key("キヤ")
    assert kana_key("ヨッカ") != kana_key("ヨツカ")


def test_kana_query_keys_match_stored_keys_by_prefix() -> None:
    stored = kana_key("ﾔﾏﾀﾞ ﾀﾛｳ")
    assert stored.startswith(kana_key("やまだ"))
    assert stored.startswith(kana_key("ヤマダ　タ"))


@given(st.text(alphabet="あいうえおかがきぎっゃーアイウカガッャ・ 　ｱｶﾞｯｰ", max_size=20))
def test_kana_key_is_idempotent_and_space_free(text: str) -> None:
    key = kana_key(text)
    assert kana_key(key) == key
    assert not any(ch.isspace() or ch == "・" for ch in key)
    assert not any("\u3041" <= ch <= "\u3096" for ch in key)  # no hiragana left


# name_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("山田　太郎", "山田太郎"),
        ("山田 太郎", "山田太郎"),
        (" 山田太郎 ", "山田太郎"),
        ("Ｊｏｈｎ　SMITH", "johnsmith"),
        ("john smith", "johnsmith"),
        ("ＳＭＩＴＨ John", "smithjohn"),
        ("ﾔﾏﾀﾞ", "ヤマダ"),  # NFKC widens half-width kana in a name too
        ("山田\ue000子", "山田\ue000子"),  # 外字 stay as they are
    ],
)
def test_name_key_examples(text: str, expected: str) -> None:
    assert name_key(text) == expected


@pytest.mark.parametrize(("old", "new"), [("髙橋", "高橋"), ("齋藤", "斎藤"), ("渡邊", "渡辺"), ("山﨑", "山崎")])
def test_old_character_forms_are_not_folded(old: str, new: str) -> None:
    assert name_key(old) != name_key(new)
    assert name_key(old) == old


def test_nfkc_folds_only_unicode_compatibility_duplicates() -> None:
    assert name_key("\ufa19") == "\u795e"  # CJK compatibility ideograph 神 -> unified 神


# address_key

MIYAZONO_1_2_3 = [
    "宮園1丁目2番3号",
    "宮園1-2-3",
    "宮園１－２－３",
    "宮園１丁目２番３号",
    "宮園1丁目2番地3",
    "宮園1丁目2番地の3",
    "宮園一丁目2番3号",
    "宮園 1丁目 2番 3号",
    "宮園1‐2‐3",
    "宮園1―2―3",
    "宮園1−2−3",
    "宮園1ー2ー3",
    "宮園1ｰ2ｰ3",
    "宮園1丁目2-3",
    "宮園1-2-3号",
    "宮園1 2 3",
]


@pytest.mark.parametrize("text", MIYAZONO_1_2_3)
def test_address_variants_give_one_key(text: str) -> None:
    assert address_key(text) == "宮園1-2-3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("宮園十丁目5番", "宮園10-5"),
        ("宮園二十三丁目4番5号", "宮園23-4-5"),
        ("宮園九十九丁目1", "宮園99-1"),
        ("宮園十一丁目", "宮園11"),
        ("宮園1丁目", "宮園1"),
        ("宮園1丁目2番", "宮園1-2"),
        ("大字宮園字北123番地", "大字宮園字北123"),  # 大字/字 are kept
        ("大字宮園123番地の4", "大字宮園123-4"),
        ("宮園三番地", "宮園三番地"),  # kanji numerals are folded before 丁目 only
        ("宮園1-2-3 宮園ハイツ101号室", "宮園1-2-3宮園ハイツ101号室"),  # 号室 names a room
        ("宮園1-2 3号棟", "宮園1-2-3号棟"),
        ("宮園1-2-3 101", "宮園1-2-3-101"),  # a space between numbers never joins them
        ("コーポ宮園", "コーポ宮園"),  # ー after a non-digit is a long vowel
        ("宮園1丁目コーポ", "宮園1コーポ"),
    ],
)
def test_address_key_examples(text: str, expected: str) -> None:
    assert address_key(text) == expected


def test_address_query_keys_match_stored_keys_by_prefix() -> None:
    stored = address_key("石川県七尾市宮園１丁目２番３号")
    assert stored == "石川県七尾市宮園1-2-3"
    assert stored.startswith(address_key("石川県 七尾市 宮園1丁目"))


@given(
    st.integers(min_value=1, max_value=99),
    st.integers(min_value=1, max_value=9999),
    st.integers(min_value=1, max_value=99),
)
def test_chome_banchi_go_equals_hyphen_form(chome: int, ban: int, go: int) -> None:
    full_width = str.maketrans("0123456789-", "０１２３４５６７８９－")
    hyphens = f"宮園{chome}-{ban}-{go}"
    assert address_key(f"宮園{chome}丁目{ban}番{go}号") == hyphens
    assert address_key(hyphens.translate(full_width)) == hyphens
    assert address_key(f"宮園{chome}丁目{ban}番地の{go}") == hyphens


# birth_key


@pytest.mark.parametrize(
    "value",
    [
        date(1970, 3, 12),
        datetime(1970, 3, 12, 15, 30),
        "1970-03-12",
        "19700312",
        "1970/03/12",
        "1970/3/12",
        "1970年3月12日",
        "S45.3.12",
        "昭和45年3月12日",
        "Ｓ４５．３．１２",
        " 1970-03-12 ",
    ],
)
def test_birth_forms_give_one_iso_key(value: date | str) -> None:
    assert birth_key(value) == "1970-03-12"


def test_birth_key_reads_the_first_year_of_an_era() -> None:
    assert birth_key("R元.5.1") == "2019-05-01"
    assert birth_key("平成元年1月8日") == "1989-01-08"


@pytest.mark.parametrize("value", ["", "1970-02-30", "S65.1.1", "昭和45年13月1日", "yesterday"])
def test_invalid_birth_dates_raise_without_the_value(value: str) -> None:
    with pytest.raises(ValueError, match="invalid date") as raised:
        birth_key(value)
    assert not value or value not in str(raised.value)
