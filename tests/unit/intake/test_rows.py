from __future__ import annotations

import csv
import io
import re
from datetime import date
from itertools import pairwise
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from victim_support.intake import rows as rows_module
from victim_support.intake.headers import map_headers
from victim_support.intake.pipeline import row_item
from victim_support.intake.reader import iter_records
from victim_support.intake.rows import RECORD_FIELDS, ResidentRecord, RowIssue, RowValidator, record_of
from victim_support.residents.repository import partition, resident_item

MASHIKI = "434434"
TODAY = date(2025, 11, 26)


class FakePostalLookup:
    """Two 益城町 codes and one 千代田区 code."""

    codes: ClassVar[dict[str, str]] = {"8612233": "43443", "8612204": "43443", "1000001": "13101"}

    def municipalities_of(self, postal_code: str) -> frozenset[str]:
        return frozenset({self.codes[postal_code]}) if postal_code in self.codes else frozenset()

    def belongs_to(self, postal_code: str, municipality_code: str) -> bool:
        return self.codes.get(postal_code) == municipality_code[:5]


VALID = {
    "person_id": "000123",
    "household_id": "45",
    "name": "山田\u3000太郎",
    "name_kana": "ヤマダ\u3000タロウ",
    "birth_date": "1970-03-12",
    "sex": "1",
    "relationship": "世帯主",
    "postal_code": "861-2233",
    "address": "熊本県上益城郡益城町宮園1番地",
    "address_extra": "益城ハイツ101号",
    "phone": "096-286-1111",
    "care_needs": "高齢者;要介護",
    "protected": "0",
}
DELTA = {**VALID, "change_type": "更新", "change_date": "R7.11.1"}


def _validator(columns: list[str], kind: str = "full") -> RowValidator:
    return RowValidator(map_headers(columns, kind), kind, MASHIKI, FakePostalLookup(), today=TODAY)  # type: ignore[arg-type]


def _validate(kind: str = "full", **changes: str) -> tuple[ResidentRecord | None, list[RowIssue]]:
    row = {**(DELTA if kind == "delta" else VALID), **changes}
    return _validator(list(row), kind).validate(7, list(row.values()))


def _codes(issues: list[RowIssue]) -> list[tuple[str, str]]:
    return [(issue.column, issue.code) for issue in issues]


def test_a_canonical_row_becomes_a_record_without_issues() -> None:
    record, issues = _validate()
    assert issues == []
    assert record == {
        "person_id": "000123",
        "household_id": "45",
        "name": "山田\u3000太郎",
        "name_kana": "ヤマダ\u3000タロウ",
        "birth_date": "1970-03-12",
        "sex": "1",
        "relationship": "世帯主",
        "postal_code": "8612233",
        "address": "熊本県上益城郡益城町宮園1番地",
        "address_extra": "益城ハイツ101号",
        "phone": "096-286-1111",
        "care_needs": ["高齢者", "要介護"],
        "protected": False,
        "change_type": None,
        "change_date": None,
    }


def test_non_canonical_spellings_are_normalised_to_the_same_record() -> None:
    canonical, _ = _validate()
    record, issues = _validate(
        person_id="０００１２３",
        household_id=" 45 ",
        name="山田 太郎",
        name_kana="ﾔﾏﾀﾞ ﾀﾛｳ",
        birth_date="S45.3.12",
        sex="男",
        relationship=" 世帯主 ",
        postal_code="８６１－２２３３",
        address=" 熊本県上益城郡益城町宮園1番地 ",
        phone="０９６ー２８６ー１１１１",
        care_needs="高齢者；要介護;高齢者",
        protected="無",
    )
    assert issues == []
    assert record == canonical


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("birth_date", "昭和45年3月12日", "1970-03-12"),
        ("birth_date", "19700312", "1970-03-12"),
        ("birth_date", "1970/3/12", "1970-03-12"),
        ("sex", "F", "2"),
        ("sex", "女", "2"),
        ("sex", "9", "9"),
        ("protected", "有", True),
        ("protected", "1", True),
        ("protected", "", False),
        ("postal_code", "", None),
        ("postal_code", "8612204", "8612204"),
        ("phone", "", None),
        ("address_extra", "", None),
        ("care_needs", "", []),
        ("relationship", "妻（未届）", "妻(未届)"),
        ("name", "ジョン　ポール　スミス", "ジョン\u3000ポール\u3000スミス"),
        ("name_kana", "やまだ　たろう", "ヤマダ\u3000タロウ"),
    ],
)
def test_field_values_are_stored_in_their_canonical_form(field: str, value: str, expected: object) -> None:
    record, issues = _validate(**{field: value})
    assert issues == []
    assert record is not None
    assert record[field] == expected  # type: ignore[literal-required]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("person_id", "12a", "ROW_PERSON_ID"),
        ("person_id", "1234567890123456", "ROW_PERSON_ID"),
        ("household_id", "-1", "ROW_HOUSEHOLD_ID"),
        ("name", "山田太郎", "ROW_NAME"),
        ("name_kana", "山田　太郎", "ROW_NAME_KANA"),
        ("birth_date", "1970-02-30", "ROW_BIRTH_DATE"),
        ("birth_date", "2025-11-27", "ROW_BIRTH_DATE"),
        ("birth_date", "1867-12-31", "ROW_BIRTH_DATE"),
        ("birth_date", "平成32年1月1日", "ROW_BIRTH_DATE"),
        ("sex", "X", "ROW_SEX"),
        ("relationship", "友人", "ROW_RELATIONSHIP"),
        ("postal_code", "86122", "ROW_POSTAL_CODE"),
        ("postal_code", "9999999", "ROW_POSTAL_CODE_UNKNOWN"),
        ("postal_code", "100-0001", "ROW_POSTAL_CODE_MUNICIPALITY"),
        ("address", "益城町\x01宮園", "ROW_ADDRESS"),
        ("address", "益" * 201, "ROW_ADDRESS"),
        ("address_extra", "ハイツ\x02", "ROW_ADDRESS"),
        ("phone", "096-286", "ROW_PHONE"),
        ("phone", "096--286-1111", "ROW_PHONE"),
        ("phone", "09628611111111", "ROW_PHONE"),
        ("care_needs", "高齢者;学生", "ROW_CARE_NEEDS"),
        ("protected", "はい", "ROW_PROTECTED"),
    ],
)
def test_each_invalid_field_rejects_the_row_with_its_code(field: str, value: str, code: str) -> None:
    record, issues = _validate(**{field: value})
    assert record is None
    assert _codes(issues) == [(field, code)]
    assert all(issue.line == 7 for issue in issues)


@pytest.mark.parametrize(
    "field", ["person_id", "household_id", "name", "name_kana", "birth_date", "sex", "relationship", "address"]
)
def test_an_empty_required_field_is_row_required(field: str) -> None:
    record, issues = _validate(**{field: "  "})
    assert record is None
    assert _codes(issues) == [(field, "ROW_REQUIRED")]


def test_every_failing_field_of_a_row_is_reported() -> None:
    record, issues = _validate(person_id="x", sex="X", phone="1")
    assert record is None
    assert _codes(issues) == [("person_id", "ROW_PERSON_ID"), ("phone", "ROW_PHONE"), ("sex", "ROW_SEX")]


def test_a_row_with_the_wrong_field_count_is_rejected_as_a_whole() -> None:
    validator = _validator(list(VALID))
    assert validator.validate(3, [*VALID.values(), "extra"]) == (None, [RowIssue(3, "", "ROW_COLUMN_COUNT")])
    assert validator.validate(4, list(VALID.values())[:-1]) == (None, [RowIssue(4, "", "ROW_COLUMN_COUNT")])


@pytest.mark.parametrize("field", ["name", "address", "address_extra"])
def test_gaiji_is_kept_with_a_warning(field: str) -> None:
    value = {"name": "山\ue000\u3000太郎", "address": "益城町\ue001宮園", "address_extra": "\ue002ハイツ"}[field]
    record, issues = _validate(**{field: value})
    assert record is not None
    assert record[field] == value  # type: ignore[literal-required]
    assert _codes(issues) == [(field, "WARN_GAIJI")]


def test_issues_never_carry_the_personal_value() -> None:
    _, issues = _validate(name="秘密花子", birth_date="2099-01-01")
    assert issues
    assert all("秘密" not in repr(issue) and "2099" not in repr(issue) for issue in issues)


def test_optional_columns_may_be_absent() -> None:
    required = ["person_id", "household_id", "name", "name_kana", "birth_date", "sex", "relationship", "address"]
    record, issues = _validator(required).validate(2, [VALID[c] for c in required])
    assert issues == []
    assert record is not None
    assert (record["postal_code"], record["phone"], record["care_needs"], record["protected"]) == (
        None,
        None,
        [],
        False,
    )


def test_delta_rows_carry_their_change_type_and_date() -> None:
    record, issues = _validate("delta")
    assert issues == []
    assert record is not None
    assert (record["change_type"], record["change_date"]) == ("update", "2025-11-01")
    record, _ = _validate("delta", change_type="remove", change_date="2025-11-30")
    assert record is not None
    assert (record["change_type"], record["change_date"]) == ("remove", "2025-11-30")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"change_type": "移動"}, [("change_type", "ROW_CHANGE_TYPE")]),
        ({"change_date": "R7.13.1"}, [("change_date", "ROW_CHANGE_DATE")]),
        ({"change_type": ""}, [("change_type", "ROW_REQUIRED")]),
        ({"change_date": ""}, [("change_date", "ROW_REQUIRED")]),
    ],
)
def test_delta_rows_need_a_valid_change_type_and_date(changes: dict[str, str], expected: list[tuple[str, str]]) -> None:
    record, issues = _validate("delta", **changes)
    assert record is None
    assert _codes(issues) == expected


def test_full_files_ignore_change_columns() -> None:
    row = {**VALID, "change_type": "nonsense", "change_date": "nonsense"}
    record, issues = _validator(list(row)).validate(2, list(row.values()))
    assert issues == []
    assert record is not None
    assert record["change_type"] is None


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"birth_date": "H3.4.5"},
        {"sex": "2", "relationship": "妻", "care_needs": "", "protected": "1", "postal_code": ""},
        {"phone": "", "address_extra": ""},
    ],
)
def test_fast_and_slow_paths_produce_the_same_record(changes: dict[str, str]) -> None:
    row = {**VALID, **changes}
    validator = _validator(list(row))
    fast = validator.validate(2, list(row.values()))
    slow = validator._validate_slowly(2, list(row.values()))
    assert fast == slow


# -- batch validation (validate_many / validate_stream) -------------------------------------------
# Every field value below is one the per-row path treats in a distinct way: canonical, normalised
# (non-canonical but accepted), or rejected with each code the validator has.
_FIELD_VARIANTS: dict[str, list[str]] = {
    "person_id": ["000123", "０００１２３", " 45 ", "12a", "1234567890123456", "", "1\n2"],
    "household_id": ["45", "４５", "-1", "", "0" * 16],
    "name": [
        "山田\u3000太郎",
        "山田 太郎",
        "ジョン　ポール　スミス",
        "山田太郎",
        "",
        "山\ue000\u3000太郎",
        "山田\u3000\u3000太郎",
        " 山田\u3000太郎",
        "山田\n太郎",
        "山田\u3000太郎\x01",
        "山" * 99 + "\u3000田",
    ],
    "name_kana": [
        "ヤマダ\u3000タロウ",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        "やまだ　たろう",
        "ヤマダ タロウ",
        "山田　太郎",
        "",
        "ヤマダ\nタロウ",
        "ヤマダタロウ",
        "ヤマダ\u3000タロウ\u3000ジュニア",
    ],
    "birth_date": [
        "1970-03-12",
        "19700312",
        "1970/3/12",
        "S45.3.12",
        "昭和45年3月12日",
        "R元.5.1",
        "令和元年5月1日",
        "H3.4.5",
        "s45.3.12",
        "Ｓ４５．３．１２",
        " 1970-03-12 ",
        "1970-02-30",
        "2025-11-27",
        "1867-12-31",
        "平成32年1月1日",
        "S64.2.1",
        "R0.5.1",
        "",
        "x",
    ],
    "sex": ["1", "2", "9", "男", "女", "M", "F", "m", "Ｆ", "X", ""],
    "relationship": ["世帯主", "妻", " 世帯主 ", "妻（未届）", "友人", ""],
    "postal_code": [
        "861-2233",
        "8612233",
        "8612204",
        "",
        "８６１－２２３３",
        "861ー2233",
        "86122",
        "9999999",
        "100-0001",
        " 8612233",
    ],
    "address": [
        "熊本県上益城郡益城町宮園1番地",
        " 熊本県上益城郡益城町宮園1番地 ",
        "益城町\x01宮園",
        "益" * 201,
        "益" * 200,
        "益城町\ue001宮園",
        "",
        "益城町　宮園",
    ],
    "address_extra": ["益城ハイツ101号", "", "ハイツ\x02", "\ue002ハイツ", " 益城ハイツ ", "益" * 201],
    "phone": [
        "096-286-1111",
        "0962861111",
        "",
        "０９６ー２８６ー１１１１",
        "096-286",
        "096--286-1111",
        "09628611111111",
        "-096-286-111",
        "096 286 1111",
    ],
    "care_needs": ["高齢者;要介護", "", "高齢者；要介護;高齢者", " 乳幼児 ", "高齢者;学生", ";"],
    "protected": ["0", "1", "", "無", "有", "はい", " 1"],
    "change_type": ["更新", "追加", "削除", "add", "ＡＤＤ", "Remove", "移動", ""],
    "change_date": ["R7.11.1", "2025-11-30", "R7.13.1", "", "令和7年11月1日", "20251101"],
}
_EVERY_CODE = {
    "ROW_COLUMN_COUNT", "ROW_REQUIRED", "ROW_PERSON_ID", "ROW_HOUSEHOLD_ID", "ROW_NAME", "ROW_NAME_KANA",
    "ROW_BIRTH_DATE", "ROW_SEX", "ROW_RELATIONSHIP", "ROW_POSTAL_CODE", "ROW_POSTAL_CODE_UNKNOWN",
    "ROW_POSTAL_CODE_MUNICIPALITY", "ROW_ADDRESS", "ROW_PHONE", "ROW_CARE_NEEDS", "ROW_PROTECTED",
    "ROW_CHANGE_TYPE", "ROW_CHANGE_DATE", "WARN_GAIJI",
}  # fmt: skip


def _mixed_rows(kind: str) -> list[tuple[int, list[str]]]:
    """The base row, then one row per field variant, then rows of the wrong width and a row with
    several problems; line numbers ascending from 2."""
    base = DELTA if kind == "delta" else VALID
    variants: list[dict[str, str]] = [{}]
    variants += [{field: value} for field, values in _FIELD_VARIANTS.items() if field in base for value in values]
    variants.append({"person_id": "x", "sex": "X", "phone": "1", "name": "山\ue000\u3000太郎", "address": ""})
    variants.append({"name": "山田 太郎", "name_kana": "ﾔﾏﾀﾞ ﾀﾛｳ", "birth_date": "S45.3.12", "sex": "男"})
    rows: list[tuple[int, list[str]]] = [
        (2 + n, list({**base, **change}.values())) for n, change in enumerate(variants)
    ]
    width = len(base)
    rows.insert(3, (1000, list(base.values())[:-1]))
    rows.insert(9, (1001, [*base.values(), "extra"]))
    rows.append((1002, []))
    assert all(len(fields) in (width - 1, width, width + 1, 0) for _, fields in rows)
    return rows


@pytest.mark.parametrize("kind", ["full", "delta"])
def test_validate_many_equals_validate_row_by_row_on_a_batch_with_every_code(kind: str) -> None:
    columns = list(DELTA if kind == "delta" else VALID)
    rows = _mixed_rows(kind)
    expected = [_validator(columns, kind).validate(line, list(fields)) for line, fields in rows]
    assert _validator(columns, kind).validate_many(rows) == expected
    # One validator for both (shared caches), and the batch after the rows, and the rows after the batch.
    shared = _validator(columns, kind)
    assert [shared.validate(line, list(fields)) for line, fields in rows] == expected
    assert shared.validate_many(rows) == expected
    shared = _validator(columns, kind)
    assert shared.validate_many(rows) == expected
    assert [shared.validate(line, list(fields)) for line, fields in rows] == expected
    codes = {issue.code for _, issues in expected for issue in issues}
    assert codes == (_EVERY_CODE if kind == "delta" else _EVERY_CODE - {"ROW_CHANGE_TYPE", "ROW_CHANGE_DATE"})
    assert sum(record is not None for record, _ in expected) > 40  # accepted rows, normalised or not


@pytest.mark.parametrize("kind", ["full", "delta"])
def test_the_batch_path_agrees_with_the_authoritative_slow_path(kind: str) -> None:
    columns = list(DELTA if kind == "delta" else VALID)
    validator = _validator(columns, kind)
    rows = [(line, fields) for line, fields in _mixed_rows(kind) if len(fields) == len(columns)]
    assert validator.validate_many(rows) == [validator._validate_slowly(line, fields) for line, fields in rows]


@pytest.mark.parametrize("batch_size", [1, 2, 5, 1024])
def test_validate_stream_yields_every_row_in_file_order(batch_size: int) -> None:
    columns = list(VALID)
    rows = _mixed_rows("full")
    expected = [(line, *_validator(columns).validate(line, list(fields))) for line, fields in rows]
    assert list(_validator(columns).validate_stream(iter(rows), batch_size=batch_size)) == expected


def test_validate_stream_needs_a_positive_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        list(_validator(list(VALID)).validate_stream([], batch_size=0))


def test_validate_many_of_nothing_is_nothing() -> None:
    assert _validator(list(VALID)).validate_many([]) == []


def test_validate_many_with_absent_optional_columns_and_an_unknown_column() -> None:
    columns = ["note", "person_id", "household_id", "name", "name_kana", "birth_date", "sex", "relationship",
               "address"]  # fmt: skip
    rows = [
        (2, ["x", *(VALID[c] for c in columns[1:])]),
        (3, ["", "1", "2", "山田 花子", "やまだ　はなこ", "H3.4.5", "F", "妻", "益城町"]),
        (4, ["y", "1", "2", "山田", "ヤマダ", "1970-02-30", "X", "友人", ""]),
    ]
    expected = [_validator(columns).validate(line, list(fields)) for line, fields in rows]
    assert _validator(columns).validate_many(rows) == expected
    assert expected[0][0] is not None
    assert (expected[0][0]["postal_code"], expected[0][0]["care_needs"], expected[0][0]["protected"]) == (
        None,
        [],
        False,
    )


def test_batch_records_do_not_share_their_care_needs_lists() -> None:
    rows = [(2, list(VALID.values())), (3, list(VALID.values()))]
    (first, _), (second, _) = _validator(list(VALID)).validate_many(rows)
    assert first is not None and second is not None
    first["care_needs"].append("その他")
    assert second["care_needs"] == ["高齢者", "要介護"]


@pytest.mark.parametrize(
    "extras",
    [
        ["", "", ""],
        ["", "益城ハイツ101号", ""],
        ["", " 益城ハイツ ", ""],
        ["", "ハイツ\x02", "益城ハイツ101号"],
        ["益" * 201, "", ""],
        ["", "益城\nハイツ", ""],
    ],
)
def test_validate_many_checks_only_the_non_empty_address_extras_and_agrees_row_by_row(extras: list[str]) -> None:
    rows = [(2 + n, list({**VALID, "address_extra": extra}.values())) for n, extra in enumerate(extras)]
    expected = [_validator(list(VALID)).validate(line, list(fields)) for line, fields in rows]
    assert _validator(list(VALID)).validate_many(rows) == expected
    assert [record is not None for record, _ in expected] == [
        "\x02" not in extra and "\n" not in extra and len(extra) <= 200 for extra in extras
    ]


_ROW_STRATEGY = st.fixed_dictionaries(
    {field: st.sampled_from(values) for field, values in _FIELD_VARIANTS.items() if field in DELTA}
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["full", "delta"]),
    changes=st.lists(
        st.one_of(
            st.just({}),
            _ROW_STRATEGY.map(lambda row: dict(list(row.items())[: len(row) // 2])),
            _ROW_STRATEGY,
            st.dictionaries(st.sampled_from(list(DELTA)), st.text(max_size=6), max_size=3),
        ),
        max_size=40,
    ),
    wrong_width=st.sets(st.integers(min_value=0, max_value=39), max_size=3),
    batch_size=st.integers(min_value=1, max_value=50),
)
def test_batch_and_row_by_row_results_are_equal_for_any_mixture(
    kind: str, changes: list[dict[str, str]], wrong_width: set[int], batch_size: int
) -> None:
    base = DELTA if kind == "delta" else VALID
    rows = []
    for n, change in enumerate(changes):
        fields = list({**base, **{k: v for k, v in change.items() if k in base}}.values())
        rows.append((n + 2, fields[:-1] if n in wrong_width else fields))
    expected = [_validator(list(base), kind).validate(line, list(fields)) for line, fields in rows]
    assert _validator(list(base), kind).validate_many(rows) == expected
    streamed = list(_validator(list(base), kind).validate_stream(rows, batch_size=batch_size))
    assert streamed == [(line, *result) for (line, _), result in zip(rows, expected, strict=True)]


# -- the bulk path: validate_rows, its tuples, and the item the loader writes from them ------------
@pytest.mark.parametrize("kind", ["full", "delta"])
def test_validate_rows_gives_tuples_standing_for_the_records_validate_gives(kind: str) -> None:
    columns = list(DELTA if kind == "delta" else VALID)
    rows = _mixed_rows(kind)
    expected = [(line, *_validator(columns, kind).validate(line, list(fields))) for line, fields in rows]
    given_rows = list(_validator(columns, kind).validate_rows(rows, batch_size=16))
    assert [(line, None if row is None else record_of(row), list(issues)) for line, row, issues in given_rows] == (
        expected
    )
    for (_line, row, _issues), (_, record, _) in zip(given_rows, expected, strict=True):
        if row is not None and record is not None:
            values: dict[str, Any] = dict(record)
            values.update(
                postal_code=values["postal_code"] or "", address_extra=values["address_extra"] or "",
                phone=values["phone"] or "", care_needs=tuple(values["care_needs"]),
            )  # fmt: skip
            assert row == tuple(values[name] for name in RECORD_FIELDS)


@pytest.mark.parametrize("batch_size", [1, 3, 256])
def test_validate_rows_reads_a_record_reader_a_batch_at_a_time(batch_size: int) -> None:
    rows = _mixed_rows("full")
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(list(VALID))
    for _line, fields in rows:
        writer.writerow(fields)
    text.write("\r\n   \r\n")  # blank lines are skipped
    values = list(VALID.values())
    writer.writerow([*values[:3], '"quoted"\r\nover lines', *values[4:]])
    data = text.getvalue().encode("utf-8")

    records = list(iter_records(io.BytesIO(data), "utf-8", first_line=1))[1:]
    expected = [(line, *_validator(list(VALID)).validate(line, list(fields))) for line, fields in records]
    reader = iter_records(io.BytesIO(data), "utf-8", first_line=1)
    next(reader)  # the header
    given_rows = _validator(list(VALID)).validate_rows(reader, batch_size=batch_size)
    assert [(line, None if row is None else record_of(row), list(issues)) for line, row, issues in given_rows] == (
        expected
    )
    gaps = {later[0] - earlier[0] for earlier, later in pairwise(expected)}
    assert gaps > {1}  # records over several lines and blank lines were read


def test_row_item_is_the_resident_item_of_the_record() -> None:
    rows = [(2, list(VALID.values())), (3, list({**VALID, "postal_code": "", "address_extra": "", "phone": "",
                                                  "care_needs": "", "protected": "1"}.values()))]  # fmt: skip
    for line, row, _issues in _validator(list(VALID)).validate_rows(rows):
        assert row is not None
        expected = resident_item(MASHIKI, 3, record_of(row), upload_id="u-1", line=line, now="2025-11-26T00:00:00Z")
        assert row_item(partition(MASHIKI, 3), row, upload_id="u-1", line=line, now="2025-11-26T00:00:00Z") == expected


def test_the_memos_start_over_past_their_limit_and_give_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _mixed_rows("full") * 3
    expected = _validator(list(VALID)).validate_many(rows)
    monkeypatch.setattr("victim_support.intake.rows._CACHE_LIMIT", 2)
    assert _validator(list(VALID)).validate_many(rows) == expected
    validator = _validator(list(VALID))
    assert [result for row in rows for result in validator.validate_many([row])] == expected


# The whole-column checks are only ever stricter than the per-value patterns: what they accept, the
# patterns accept; what they refuse goes to the patterns.
_TEXT_ALPHABET = ["山", "田", "ア", "1", "a", "-", " ", "\u3000", "\t", "\n", "\x01", "\ue000", "\U000f0001",
                  "\u200b", "\u00a0", "（", "ｱ", "\u0378", "\u2028"]  # fmt: skip


@given(st.lists(st.lists(st.sampled_from(_TEXT_ALPHABET), max_size=8).map("".join), min_size=1, max_size=6))
def test_the_text_column_check_accepts_only_what_the_patterns_accept(texts: list[str]) -> None:
    if rows_module._text_column_ok(texts, 6):
        assert None not in rows_module._COLUMN_CHECK["address_extra"].validate_python(texts)
        assert all(len(text) <= 6 for text in texts)


@given(st.lists(st.lists(st.sampled_from(["0", "5", "9", "-", "\n", "０", "a", ""]), max_size=14).map("".join),
                min_size=1, max_size=6))  # fmt: skip
def test_the_phone_column_check_names_exactly_the_values_not_stored_as_they_are(phones: list[str]) -> None:
    pattern = re.compile(r"(?:[0-9]+(?:-[0-9]+)*)?")
    stored = [phone == "" or (pattern.fullmatch(phone) is not None and 10 <= len(phone) <= 13) for phone in phones]
    assert rows_module._unstored_phones(phones) == [index for index, ok in enumerate(stored) if not ok]
