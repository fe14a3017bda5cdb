"""Export rows: the ledger's columns, location fields withheld under 支援措置, CP932 replacements counted."""

from __future__ import annotations

import io
from datetime import date

from victim_support.damage import DamageLevel, SurveyRound
from victim_support.ledger.export import (
    COLUMNS,
    GETA,
    WITHHELD,
    ExportCounts,
    export_row,
    to_cp932_text,
    write_csv,
)
from victim_support.ledger.models import Household, Person, SharingConsent

AT = "2026-11-26T09:00:00Z"


def household(**extra: object) -> Household:
    return Household.model_validate({
        "household_id": "1001", "head_name": "山田　太郎", "dwelling_address": "益城町宮園1-2-3", "members": 2,
        "single_person": False, "evacuation": "shelter", "damage_level": DamageLevel.HALF,
        "damage_round": SurveyRound.FIRST, "support_decided": 500_000, "support_paid": 250_000,
        "certificate": "issued", "updated_at": AT, **extra})


def person(**extra: object) -> Person:
    return Person.model_validate({
        "household_id": "1001", "person_id": "200001", "name": "山田　太郎", "name_kana": "ヤマダ　タロウ",
        "birth_date": date(1970, 3, 12), "sex": "1", "relationship": "世帯主", "address": "益城町宮園1-2-3",
        "whereabouts": "益城町総合体育館", "phone": "096-000-0000", "care_needs": ["高齢者", "要介護"],
        "care_reason": "歩行困難", "consent": SharingConsent(given=True, scope="社会福祉協議会", recorded_at=AT),
        "has_my_number": True, "notes": "=1+1", "updated_at": AT, **extra})


def column(row: list[str], name: str) -> str:
    return row[COLUMNS.index(name)]


def test_a_row_carries_every_ledger_column() -> None:
    row, withheld = export_row(household(), person())
    assert not withheld
    assert len(row) == len(COLUMNS)
    assert column(row, "氏名カナ") == "ヤマダ　タロウ"
    assert column(row, "生年月日") == "1970-03-12"
    assert column(row, "性別") == "男"
    assert column(row, "住所") == "益城町宮園1-2-3"
    assert column(row, "要配慮者区分") == "高齢者;要介護"
    assert column(row, "住家の被害の程度") == "半壊"
    assert column(row, "調査区分") == "1次調査"
    assert column(row, "避難状況") == "避難所"
    assert (column(row, "支援金決定額"), column(row, "支援金支給額")) == ("500000", "250000")
    assert column(row, "罹災証明書交付状況") == "交付済"
    assert column(row, "情報提供の同意") == "同意（社会福祉協議会）"
    assert column(row, "住民区分") == "住民"
    assert column(row, "備考") == "'=1+1"  # a spreadsheet must not run it
    assert not any("my_number" in c or "マイナンバー" in c for c in COLUMNS)


def test_a_protected_person_has_location_fields_withheld() -> None:
    row, withheld = export_row(household(protected=True), person(protected=True))
    assert withheld
    for name in ("住所", "居所", "電話番号", "被災住家の所在地", "備考"):
        assert column(row, name) == WITHHELD
    assert column(row, "氏名") == "山田　太郎"


def test_every_member_of_a_protected_household_has_the_shared_address_withheld() -> None:
    row, withheld = export_row(household(protected=True), person(person_id="200002", protected=False))
    assert withheld
    assert column(row, "住所") == WITHHELD


def test_an_empty_field_stays_empty_even_when_withheld() -> None:
    row, _ = export_row(household(protected=True), person(protected=True, whereabouts=""))
    assert column(row, "居所") == ""


def test_characters_outside_cp932_become_geta_and_are_counted() -> None:
    assert to_cp932_text("𠮷田　太郎") == (f"{GETA}田　太郎", 1)
    assert to_cp932_text("山田") == ("山田", 0)
    # JIS look-alikes have CP932 code points of their own: mapped, not replaced.
    assert to_cp932_text("宮園1−2〜3") == ("宮園1－2～3", 0)


def test_csv_in_cp932_counts_replacements_and_utf8_keeps_them() -> None:
    row, _ = export_row(household(), person(name="𠮷田　🏠"))
    counts = ExportCounts()
    out = io.BytesIO()
    write_csv([row], out, "cp932", counts)
    text = out.getvalue().decode("cp932")
    assert text.startswith("世帯番号,宛名番号,氏名")
    assert f"{GETA}田　{GETA}" in text
    assert counts.replaced_characters == 2
    assert text.endswith("\r\n")

    counts = ExportCounts()
    out = io.BytesIO()
    write_csv([row], out, "utf-8", counts)
    assert out.getvalue().startswith(b"\xef\xbb\xbf")
    assert "𠮷田　🏠" in out.getvalue().decode("utf-8-sig")
    assert counts.replaced_characters == 0
