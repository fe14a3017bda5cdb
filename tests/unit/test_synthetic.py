from __future__ import annotations

import csv
import io
import re
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from victim_support.errors import CATALOG, DomainError
from victim_support.rules.postal import get_postal_directory
from victim_support.synthetic import (
    AS_OF,
    DEFECT_CODES,
    DELTA_DEFECT_CODES,
    DELTA_HEADERS,
    HEADERS,
    generate_residents,
    render_date,
    write_csv,
)

KATAKANA = re.compile(r"[ァ-ヶー]+　[ァ-ヶー]+|[ｦ-ﾟ]+ [ｦ-ﾟ]+")
ERAS = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019,
        "M": 1868, "T": 1912, "S": 1926, "H": 1989, "R": 2019}
CARE_NEEDS = {"高齢者", "障害者", "要介護", "乳幼児", "妊産婦", "難病", "外国人", "その他"}


def parse_date(text: str) -> date:
    """A small strict reader of the accepted forms, enough to check what the generator writes."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})|(\d{4})(\d{2})(\d{2})|(\d{4})/(\d{2})/(\d{2})", text):
        y, mo, d = (int(g) for g in m.groups() if g is not None)
        return date(y, mo, d)
    m = re.fullmatch(r"(明治|大正|昭和|平成|令和)(元|\d+)年(\d+)月(\d+)日"
                     r"|([MTSHR])(元|\d+)\.(\d+)\.(\d+)", text)
    assert m, text
    era, year, month, day = (g for g in m.groups() if g is not None)
    result = date(ERAS[era] + (1 if year == "元" else int(year)) - 1, int(month), int(day))
    if not render_date(result, "era_long" if len(era) == 2 else "era_short").startswith(era):
        raise ValueError(f"{text} is past the end of its era")
    return result


def age(born: date) -> int:
    return AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def mashiki() -> list[dict[str, str]]:
    return list(generate_residents(3000, "434434", seed=11))


def test_rows_have_the_japanese_headers_in_order(mashiki: list[dict[str, str]]) -> None:
    assert all(tuple(r) == HEADERS for r in mashiki)
    assert len(mashiki) == 3000


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    first = list(generate_residents(200, "172022", seed=5))
    assert first == list(generate_residents(200, "172022", seed=5))
    assert first != list(generate_residents(200, "172022", seed=6))


def test_a_shorter_file_is_a_prefix_of_a_longer_one() -> None:
    longer = list(generate_residents(120, "172022", seed=2))
    assert list(generate_residents(50, "172022", seed=2)) == longer[:50]


def test_person_ids_are_unique_and_households_are_contiguous(mashiki: list[dict[str, str]]) -> None:
    ids = [r["宛名番号"] for r in mashiki]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"\d{1,15}", i) for i in ids)
    households = [r["世帯番号"] for r in mashiki]
    runs = [h for i, h in enumerate(households) if i == 0 or households[i - 1] != h]
    assert len(runs) == len(set(runs))


def test_households_have_one_head_first_and_share_address_and_phone(mashiki: list[dict[str, str]]) -> None:
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in mashiki:
        groups[r["世帯番号"]].append(r)
    sizes = Counter(len(g) for g in groups.values())
    assert set(sizes) <= set(range(1, 7))
    assert sizes[1] > 0
    assert sizes[4] > 0
    for members in groups.values():
        assert members[0]["続柄"] == "世帯主"
        assert [m["続柄"] for m in members].count("世帯主") == 1
        for key in ("住所", "方書", "電話番号"):
            assert len({m[key] for m in members}) == 1
        assert len({m["郵便番号"].replace("-", "") for m in members}) == 1


def test_birth_dates_fit_the_relationship_to_the_head(mashiki: list[dict[str, str]]) -> None:
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in mashiki:
        groups[r["世帯番号"]].append(r)
    for members in groups.values():
        head = age(parse_date(members[0]["生年月日"]))
        for m in members[1:]:
            a = age(parse_date(m["生年月日"]))
            relationship = m["続柄"]
            if relationship == "子":
                assert head - a >= 18
            elif relationship in ("父", "母"):
                assert a - head >= 18
            elif relationship == "孫":
                assert head - a >= 36
            elif relationship in ("妻", "夫"):
                assert a >= 18
                assert abs(a - head) <= 8
            else:
                assert relationship == "同居人"
        assert all(0 <= age(parse_date(m["生年月日"])) <= 105 for m in members)


def test_spouses_and_parents_have_the_matching_sex(mashiki: list[dict[str, str]]) -> None:
    male, female = {"1", "男", "M"}, {"2", "女", "F"}
    for r in mashiki:
        if r["続柄"] in ("妻", "母"):
            assert r["性別"] in female
        if r["続柄"] in ("夫", "父"):
            assert r["性別"] in male
        assert r["性別"] in male | female


def test_names_are_kanji_with_full_width_space_and_matching_katakana(mashiki: list[dict[str, str]]) -> None:
    for r in mashiki:
        assert re.fullmatch(r"\S+　\S+", r["氏名"])
        assert KATAKANA.fullmatch(r["氏名カナ"]), r["氏名カナ"]
    assert any(" " in r["氏名カナ"] for r in mashiki)  # some half-width exports


def test_family_members_share_the_surname_except_lodgers(mashiki: list[dict[str, str]]) -> None:
    heads: dict[str, str] = {}
    for r in mashiki:
        surname = r["氏名"].split("　")[0]
        heads.setdefault(r["世帯番号"], surname)
        if r["続柄"] != "同居人":
            assert surname == heads[r["世帯番号"]]


def test_postal_codes_and_addresses_belong_to_the_municipality(mashiki: list[dict[str, str]]) -> None:
    postal = get_postal_directory()
    for code in {r["郵便番号"] for r in mashiki}:
        assert re.fullmatch(r"\d{3}-?\d{4}", code)
        assert postal.belongs_to(code, "434434")
    assert all(r["住所"].startswith("熊本県上益城郡益城町") for r in mashiki)
    assert any("丁目" in r["住所"] for r in mashiki)
    assert any("番地" in r["住所"] for r in mashiki)
    assert any(r["方書"].endswith("号") for r in mashiki)


def test_designated_city_residents_live_in_its_wards() -> None:
    postal = get_postal_directory()
    rows = list(generate_residents(400, "141003", seed=1))
    assert all(postal.belongs_to(r["郵便番号"], "141003") for r in rows)
    assert len({r["住所"][len("神奈川県横浜市"):].split("区")[0] for r in rows}) > 5


def test_no_office_tower_floor_codes_as_home_addresses() -> None:
    rows = list(generate_residents(500, "131016", seed=4))
    assert not any(r["郵便番号"].replace("-", "").startswith("1006") for r in rows)


def test_all_date_forms_appear_including_gannen() -> None:
    rows = list(generate_residents(5000, "172022", seed=3))
    forms = {
        "iso": r"\d{4}-\d{2}-\d{2}", "compact": r"\d{8}", "slash": r"\d{4}/\d{2}/\d{2}",
        "era_short": r"[MTSHR](元|\d+)\.\d+\.\d+",
        "era_long": r"(明治|大正|昭和|平成|令和)(元|\d+)年\d+月\d+日",
    }
    seen = {name for name, pattern in forms.items() for r in rows if re.fullmatch(pattern, r["生年月日"])}
    assert seen == set(forms)
    assert all(parse_date(r["生年月日"]) < AS_OF for r in rows)


@pytest.mark.parametrize(("day", "form", "text"), [
    (date(1970, 3, 12), "era_short", "S45.3.12"),
    (date(1970, 3, 12), "era_long", "昭和45年3月12日"),
    (date(2019, 5, 1), "era_short", "R元.5.1"),
    (date(2019, 4, 30), "era_long", "平成31年4月30日"),
    (date(1989, 1, 7), "era_short", "S64.1.7"),
    (date(1989, 1, 8), "era_long", "平成元年1月8日"),
    (date(1926, 12, 24), "era_short", "T15.12.24"),
    (date(2001, 2, 3), "compact", "20010203"),
    (date(2001, 2, 3), "slash", "2001/02/03"),
])
def test_render_date_forms(day: date, form: str, text: str) -> None:
    assert render_date(day, form) == text
    assert parse_date(text) == day


def test_care_needs_fit_the_age_and_some_are_protected() -> None:
    rows = list(generate_residents(5000, "172022", seed=8))
    needs = Counter(n for r in rows for n in r["要配慮者区分"].split(";") if n)
    assert set(needs) <= CARE_NEEDS
    assert needs["高齢者"] > 100
    assert needs["乳幼児"] > 0
    for r in rows:
        a = age(parse_date(r["生年月日"]))
        if "高齢者" in r["要配慮者区分"]:
            assert a >= 65
        if "乳幼児" in r["要配慮者区分"]:
            assert a < 6
    protected = [r for r in rows if r["支援措置"]]
    assert 0 < len(protected) < 60
    assert {r["支援措置"] for r in protected} <= {"1", "有"}


def test_bad_share_gives_exactly_that_many_rows_one_defect_each() -> None:
    clean = list(generate_residents(1000, "172022", seed=9))
    dirty = list(generate_residents(1000, "172022", seed=9, bad_share=0.1))
    differing = [i for i, (a, b) in enumerate(zip(clean, dirty, strict=True)) if a != b]
    assert len(differing) == 100
    for i in differing:
        changed = [k for k in HEADERS if clean[i][k] != dirty[i][k]]
        assert len(changed) == 1, changed


def test_defect_codes_are_in_the_error_catalog() -> None:
    assert set(DELTA_DEFECT_CODES.values()) <= set(CATALOG)
    assert set(DEFECT_CODES) < set(DELTA_DEFECT_CODES)


def test_every_defect_kind_occurs_in_a_large_bad_file() -> None:
    clean = list(generate_residents(2000, "131016", seed=2))
    dirty = list(generate_residents(2000, "131016", seed=2, bad_share=0.2))
    postal = get_postal_directory()
    seen = set()
    for a, b in zip(clean, dirty, strict=True):
        if a == b:
            continue
        (column,) = [k for k in HEADERS if a[k] != b[k]]
        seen.add(column)
        if column == "郵便番号" and len(b[column].replace("-", "")) == 7:
            assert not postal.belongs_to(b[column], "131016")
            assert postal.municipalities_of(b[column])  # a real code, just elsewhere
        if column == "宛名番号":
            assert len(b[column]) == 16
        if column == "生年月日":
            with pytest.raises(ValueError):  # noqa: PT011 - any invalid date
                parse_date(b[column])
    assert seen == {"生年月日", "郵便番号", "性別", "氏名", "氏名カナ", "宛名番号", "世帯番号",
                    "要配慮者区分", "電話番号", "支援措置"}


def test_delta_refers_to_persons_of_the_full_file_with_the_same_seed() -> None:
    full = {r["宛名番号"]: r for r in generate_residents(500, "172022", seed=4)}
    delta = list(generate_residents(100, "172022", seed=4, delta=True, base_rows=500))
    assert all(tuple(r) == DELTA_HEADERS for r in delta)
    kinds = Counter(r["異動区分"] for r in delta)
    assert kinds == {"更新": 50, "削除": 20, "追加": 30}
    targets = [r["宛名番号"] for r in delta if r["異動区分"] != "追加"]
    assert len(set(targets)) == len(targets)
    for r in delta:
        if r["異動区分"] == "追加":
            assert r["宛名番号"] not in full
        else:
            before = full[r["宛名番号"]]
            assert before["世帯番号"] == r["世帯番号"]
            assert parse_date(before["生年月日"]) == parse_date(r["生年月日"])
    removed = [r for r in delta if r["異動区分"] == "削除"]
    assert all(full[r["宛名番号"]]["氏名"] == r["氏名"] for r in removed)
    updated = [r for r in delta if r["異動区分"] == "更新"]
    fields = ("氏名", "住所", "電話番号", "要配慮者区分", "支援措置", "方書")
    assert all(any(full[r["宛名番号"]][f] != r[f] for f in fields) for r in updated)


def test_delta_rows_come_in_change_date_order() -> None:
    delta = list(generate_residents(80, "434434", seed=1, delta=True))
    dates = [parse_date(r["異動日"]) for r in delta]
    assert dates == sorted(dates)
    assert all(d <= AS_OF for d in dates)


def test_delta_is_deterministic_and_can_carry_defects() -> None:
    a = list(generate_residents(60, "434434", seed=1, delta=True, bad_share=0.25))
    assert a == list(generate_residents(60, "434434", seed=1, delta=True, bad_share=0.25))
    clean = list(generate_residents(60, "434434", seed=1, delta=True))
    assert sum(x != y for x, y in zip(a, clean, strict=True)) == 15


def test_bad_municipality_code_is_refused_before_the_first_row() -> None:
    with pytest.raises(DomainError) as err:
        generate_residents(10, "434435")
    assert err.value.code == "MUNICIPALITY_CODE_INVALID"


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-8-sig"])
def test_write_csv_round_trips_through_the_csv_module(tmp_path: Path, encoding: str) -> None:
    rows = list(generate_residents(300, "011002", seed=1, bad_share=0.1))
    path = tmp_path / "residents.csv"
    assert write_csv(path, rows, encoding=encoding) == 300  # type: ignore[arg-type]
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert raw.count(b"\r\n") == 301
    text = raw.decode(encoding)
    read = list(csv.DictReader(io.StringIO(text, newline="")))
    assert read == rows


def test_write_csv_lf_line_endings_and_quoting(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    write_csv(path, [{"氏名": "山田　太郎", "方書": 'A,"B"\n2F'}], encoding="utf-8", line_ending="\n")
    assert path.read_bytes().decode() == '氏名,方書\n山田　太郎,"A,""B""\n2F"\n'


def test_write_csv_in_cp932_replaces_what_cp932_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "gaiji.csv"
    write_csv(path, [{"氏名": "𠮷田　太郎"}], encoding="cp932")
    assert path.read_bytes().decode("cp932").splitlines()[1] == "〓田　太郎"


def test_generation_streams_without_holding_the_file(tmp_path: Path) -> None:
    rows = generate_residents(10**9, "434434", seed=0)
    assert sys.getsizeof(rows) < 1000
    first = [next(rows) for _ in range(10)]
    assert len(first) == 10


def test_empty_file_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    assert write_csv(path, generate_residents(0, "434434"), encoding="cp932") == 0
    assert path.read_bytes() == b""
