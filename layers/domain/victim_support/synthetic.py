"""Synthetic resident files (手動連携データ) for tests, demos and load runs.

Households of 1–6 persons with matching kanji names and katakana readings (faker ja_JP's paired
providers), real postal codes and towns of the municipality (Japan Post data via ``areas_of``),
birth dates consistent with each member's relationship to the head, and the date, sex and postal
code forms that real resident systems export. Everything is deterministic for a given seed and
reference date ``AS_OF`` (never today's date), so a test can regenerate the exact same file.

Streaming: ``generate_residents`` yields one row at a time and ``write_csv`` writes as it reads, so a
million-row file never sits in memory. A delta file is the exception: its rows are sorted by change
date, so the (small) delta is held in memory while the full file it refers to is streamed past.

Defects: with ``bad_share`` exactly ``round(n * bad_share)`` rows, chosen by their own random
stream, get one defect each (see ``DEFECT_CODES`` for the error code the intake must report), and
every other row is identical to the clean file's row at the same position.

faker is a development dependency and is not shipped to Lambda, so it is imported inside the
generator only.
"""

from __future__ import annotations

import codecs
import csv
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jaconv

from victim_support.rules.municipal_codes import lookup
from victim_support.rules.postal import PostalArea, PosutoPostalDirectory, get_postal_directory

if TYPE_CHECKING:
    from os import PathLike

HEADERS: tuple[str, ...] = (
    "宛名番号", "世帯番号", "氏名", "氏名カナ", "生年月日", "性別", "続柄", "郵便番号", "住所", "方書",
    "電話番号", "要配慮者区分", "支援措置",
)
DELTA_HEADERS: tuple[str, ...] = (*HEADERS, "異動区分", "異動日")

AS_OF = date(2025, 10, 1)  # the generated population's "today"
PERSON_ID_BASE = 1_000_000_000  # 宛名番号 = base + row position + 1 (10 digits)
HOUSEHOLD_ID_BASE = 500_000_000  # 世帯番号 = base + household position + 1 (9 digits)

# defect → the error code the intake reports for it
DEFECT_CODES: Mapping[str, str] = {
    "birth_date_impossible": "ROW_BIRTH_DATE",
    "postal_code_other_prefecture": "ROW_POSTAL_CODE_MUNICIPALITY",
    "postal_code_short": "ROW_POSTAL_CODE",
    "sex_unknown_value": "ROW_SEX",
    "name_empty": "ROW_REQUIRED",
    "name_without_space": "ROW_NAME",
    "name_kana_not_kana": "ROW_NAME_KANA",
    "person_id_16_digits": "ROW_PERSON_ID",
    "household_id_not_digits": "ROW_HOUSEHOLD_ID",
    "care_needs_unknown": "ROW_CARE_NEEDS",
    "phone_letters": "ROW_PHONE",
    "protected_bad_value": "ROW_PROTECTED",
}
DELTA_DEFECT_CODES: Mapping[str, str] = {
    **DEFECT_CODES,
    "change_type_unknown": "ROW_CHANGE_TYPE",
    "change_date_impossible": "ROW_CHANGE_DATE",
}

_ERAS = (  # (start, kanji, letter), newest first
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
    (date(1912, 7, 30), "大正", "T"),
    (date(1868, 10, 23), "明治", "M"),
)
# A real postal code far away, for the "another prefecture" defect: 千代田区, or 札幌市中央区 for Tokyo.
_FOREIGN_POSTAL = {"13": "060-0000"}
_FOREIGN_POSTAL_DEFAULT = "100-0001"
_BUILDING_SUFFIXES = ("マンション", "ハイツ", "コーポ", "レジデンス", "荘", "ハウス")
_SEX_KANJI = {"1": "男", "2": "女"}
_SEX_LETTER = {"1": "M", "2": "F"}
_AREA_CODES = ("03", "06", "011", "022", "025", "045", "048", "052", "075", "078", "082", "092", "096",
               "0761", "0767", "0964")
_DATE_FORMS = ("iso", "compact", "slash", "era_short", "era_long")
_DATE_WEIGHTS = (35, 20, 15, 20, 10)


def _encodable(text: str) -> bool:
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def render_date(d: date, form: str) -> str:
    """A date in one of the accepted resident-file forms (元年 for the first year of an era)."""
    if form == "iso":
        return d.isoformat()
    if form == "compact":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    if form == "slash":
        return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"
    for start, kanji, letter in _ERAS:
        if d >= start:
            year = d.year - start.year + 1
            if form == "era_short":
                return f"{letter}{'元' if year == 1 else year}.{d.month}.{d.day}"
            if form == "era_long":
                return f"{kanji}{'元' if year == 1 else year}年{d.month}月{d.day}日"
            break
    raise ValueError(f"cannot render {d.isoformat()} as {form}")


@dataclass(frozen=True, slots=True)
class _Person:
    person_id: str
    household_id: str
    surname: tuple[str, str]  # (kanji, katakana)
    given: tuple[str, str]
    birth: date
    sex: str  # "1" male, "2" female
    relationship: str
    area: PostalArea
    street: str  # 番地 part, e.g. 1丁目2番3号
    extra: str  # 方書
    phone: str
    care_needs: tuple[str, ...]
    protected: bool

    @property
    def age(self) -> int:
        return AS_OF.year - self.birth.year - ((AS_OF.month, AS_OF.day) < (self.birth.month, self.birth.day))


class _Population:
    """Draws households; all randomness comes from ``rng`` and the faker instance seeded with it."""

    def __init__(self, municipality_code: str, seed: int | str, postal: PosutoPostalDirectory) -> None:
        from faker import Faker  # development-only dependency

        info = lookup(municipality_code)
        areas = postal.areas_of(municipality_code, homes_only=True)
        # Residents live in named towns; the catch-all code (town "") only when there is nothing else.
        named = [a for a in areas if a.town and _encodable(a.prefecture + a.city + a.town)]
        self.areas = named or [a for a in areas if _encodable(a.prefecture + a.city)]
        if not self.areas:
            raise ValueError(f"no postal areas for municipality {municipality_code}")
        self.prefecture_code = info.prefecture_code
        self.rng = random.Random(f"residents:{seed}")  # noqa: S311 - reproducible test data, not secrets
        self.fake = Faker("ja_JP")
        self.fake.seed_instance(f"names:{seed}")

    # --- names --------------------------------------------------------------------------------
    def _pair(self, draw: Any) -> tuple[str, str]:
        # Retry until the name survives CP932 (a real resident system would hold the rest as 外字).
        for _ in range(20):
            kanji, kana, _romaji = draw()
            if _encodable(kanji + kana):
                return kanji, kana
        raise RuntimeError("faker keeps drawing names CP932 cannot encode")

    def surname(self) -> tuple[str, str]:
        return self._pair(self.fake.last_name_pair)

    def given(self, sex: str) -> tuple[str, str]:
        return self._pair(self.fake.first_name_male_pair if sex == "1" else self.fake.first_name_female_pair)

    # --- places -------------------------------------------------------------------------------
    def address(self) -> tuple[PostalArea, str]:
        rng = self.rng
        area = rng.choice(self.areas)
        form = rng.random()
        if form < 0.45:
            street = f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 25)}号"
        elif form < 0.75:
            street = f"{rng.randint(1, 3000)}番地"
        elif form < 0.9:
            street = f"{rng.randint(1, 3000)}番地{rng.randint(1, 30)}"
        else:
            street = f"{rng.randint(1, 3000)}-{rng.randint(1, 30)}"
        return area, street

    def building(self, area: PostalArea) -> str:
        rng = self.rng
        if rng.random() >= 0.3:
            return ""
        if rng.random() < 0.4:  # named after the owner: 佐藤ハイツ, 中村荘
            name = f"{self.surname()[0]}{rng.choice(_BUILDING_SUFFIXES)}"
        else:  # named after the place: パレス田原, シャルム丸の内
            name = f"{self.fake.building_name()}{area.town[:4]}"
        return f"{name}{rng.randint(1, 9)}{rng.randint(1, 12):02d}号"

    def phone(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return ""
        if roll < 0.6:
            return f"0{rng.choice('789')}0-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
        area = rng.choice(_AREA_CODES)
        local = f"{rng.randint(0, 10 ** (9 - len(area)) - 1):0{9 - len(area)}d}"  # 10 digits in all
        return f"{area}-{local[:-4]}-{local[-4:]}"

    # --- people -------------------------------------------------------------------------------
    def birth(self, age: int) -> date:
        return AS_OF - timedelta(days=int(age * 365.2425) + self.rng.randint(1, 364))

    def care_needs(self, age: int, sex: str) -> tuple[str, ...]:
        rng = self.rng
        needs = []
        if age >= 65 and rng.random() < 0.6:
            needs.append("高齢者")
        if age >= 75 and rng.random() < 0.15:
            needs.append("要介護")
        if rng.random() < 0.04:
            needs.append("障害者")
        if age < 6 and rng.random() < 0.7:
            needs.append("乳幼児")
        if sex == "2" and 18 <= age <= 42 and rng.random() < 0.02:
            needs.append("妊産婦")
        if rng.random() < 0.005:
            needs.append("難病")
        if rng.random() < 0.003:
            needs.append("その他")
        return tuple(needs)

    def household(self, household_id: str, first_person_id: int) -> list[_Person]:
        rng = self.rng
        size = rng.choices((1, 2, 3, 4, 5, 6), weights=(38, 28, 16, 12, 4, 2))[0]
        head_age = rng.randint(20, 95) if size == 1 else rng.randint(25, 85)
        head_sex = ("1" if rng.random() < 0.5 else "2") if size == 1 else ("1" if rng.random() < 0.8 else "2")
        # (relationship, age, sex or None for a coin toss, own surname)
        plan: list[tuple[str, int, str | None, bool]] = [("世帯主", head_age, head_sex, False)]
        if size >= 2 and rng.random() < 0.85:
            plan.append(("妻" if head_sex == "1" else "夫", max(18, head_age + rng.randint(-6, 6)),
                         "2" if head_sex == "1" else "1", False))
        grandparent_household = head_age >= 62 and rng.random() < 0.5
        parents = ["父", "母"]
        while len(plan) < size:
            if grandparent_household:
                has_child = any(r == "子" for r, *_ in plan)
                if not has_child:
                    plan.append(("子", head_age - rng.randint(24, 38), None, False))
                    continue
                child_age = min(a for r, a, *_ in plan if r == "子")
                age = child_age - rng.randint(20, 38)
                lodger = ("同居人", rng.randint(20, 80), None, True)
                plan.append(("孫", age, None, False) if age >= 0 else lodger)
                continue
            age = head_age - rng.randint(20, 42)
            if age >= 0 and rng.random() < 0.85:
                plan.append(("子", age, None, False))
            elif parents and head_age + 22 <= 100:
                rel = parents.pop(rng.randrange(len(parents)))
                parent_age = min(104, head_age + rng.randint(22, 36))
                plan.append((rel, parent_age, "1" if rel == "父" else "2", False))
            else:
                plan.append(("同居人", rng.randint(18, 85), None, True))
        surname = self.surname()
        area, street = self.address()
        extra = self.building(area)
        phone = self.phone()
        members = []
        for offset, (relationship, age, sex, own_surname) in enumerate(plan):
            person_sex = sex or ("1" if rng.random() < 0.5 else "2")
            members.append(_Person(
                person_id=str(first_person_id + offset),
                household_id=household_id,
                surname=self.surname() if own_surname else surname,
                given=self.given(person_sex),
                birth=self.birth(age),
                sex=person_sex,
                relationship=relationship,
                area=area,
                street=street,
                extra=extra,
                phone=phone,
                care_needs=self.care_needs(age, person_sex),
                protected=rng.random() < 0.003,
            ))
        return members

    def persons(self, person_base: int, household_base: int) -> Iterator[_Person]:
        """An endless stream of persons, household by household, ids counting up from the bases."""
        next_person = person_base + 1
        next_household = household_base + 1
        while True:
            members = self.household(str(next_household), next_person)
            next_household += 1
            next_person += len(members)
            yield from members

    # --- rendering ----------------------------------------------------------------------------
    def row(self, p: _Person) -> dict[str, str]:
        rng = self.rng
        roll = rng.random()
        sex = p.sex if roll < 0.85 else (_SEX_KANJI if roll < 0.95 else _SEX_LETTER)[p.sex]
        postal = p.area.postal_code
        if rng.random() < 0.4:
            postal = f"{postal[:3]}-{postal[3:]}"
        kana = f"{p.surname[1]}　{p.given[1]}"
        if rng.random() < 0.05:  # some systems still export half-width katakana
            kana = jaconv.z2h(kana, kana=True, ascii=False, digit=False).replace("　", " ")
        return {
            "宛名番号": p.person_id,
            "世帯番号": p.household_id,
            "氏名": f"{p.surname[0]}　{p.given[0]}",
            "氏名カナ": kana,
            "生年月日": render_date(p.birth, rng.choices(_DATE_FORMS, weights=_DATE_WEIGHTS)[0]),
            "性別": sex,
            "続柄": p.relationship,
            "郵便番号": postal,
            "住所": f"{p.area.prefecture}{p.area.city}{p.area.town}{p.street}",
            "方書": p.extra,
            "電話番号": p.phone,
            "要配慮者区分": ";".join(p.care_needs),
            "支援措置": ("1" if rng.random() < 0.8 else "有") if p.protected else "",
        }


def _break(row: dict[str, str], defect: str, rng: random.Random, prefecture_code: str) -> None:
    """Give the row one realistic defect (in place)."""
    if defect == "birth_date_impossible":
        row["生年月日"] = rng.choice(("平成32年1月1日", "2023-02-30", "19700231", "R7.13.1"))
    elif defect == "postal_code_other_prefecture":
        row["郵便番号"] = _FOREIGN_POSTAL.get(prefecture_code, _FOREIGN_POSTAL_DEFAULT)
    elif defect == "postal_code_short":
        row["郵便番号"] = row["郵便番号"].replace("-", "")[:6]
    elif defect == "sex_unknown_value":
        row["性別"] = rng.choice(("3", "X", "不明"))
    elif defect == "name_empty":
        row["氏名"] = ""
    elif defect == "name_without_space":
        row["氏名"] = row["氏名"].replace("　", "")
    elif defect == "name_kana_not_kana":
        row["氏名カナ"] = rng.choice(("Yamada Taro", row["氏名"] or "山田　太郎"))
    elif defect == "person_id_16_digits":
        row["宛名番号"] = row["宛名番号"].rjust(16, "9")
    elif defect == "household_id_not_digits":
        row["世帯番号"] = f"H{row['世帯番号']}"
    elif defect == "care_needs_unknown":
        row["要配慮者区分"] = rng.choice(("寝たきり", "高齢者;寝たきり", "要支援"))
    elif defect == "phone_letters":
        row["電話番号"] = "03-1234-ABCD"
    elif defect == "protected_bad_value":
        row["支援措置"] = "2"
    elif defect == "change_type_unknown":
        row["異動区分"] = rng.choice(("変更", "転出"))
    elif defect == "change_date_impossible":
        row["異動日"] = rng.choice(("2025-09-31", "令和7年13月1日"))
    else:
        raise ValueError(f"unknown defect {defect}")


def _defects(n: int, bad_share: float, seed: int, kinds: Mapping[str, str]) -> dict[int, str]:
    if not 0.0 <= bad_share <= 1.0:
        raise ValueError("bad_share must be between 0 and 1")
    # Own stream: the clean rows stay identical to the clean file's.
    rng = random.Random(f"defects:{seed}")  # noqa: S311
    names = sorted(kinds)
    return {i: rng.choice(names) for i in sorted(rng.sample(range(n), round(n * bad_share)))}


def generate_residents(
    n: int,
    municipality_code: str,
    *,
    seed: int = 0,
    bad_share: float = 0.0,
    delta: bool = False,
    postal: PosutoPostalDirectory | None = None,
    base_rows: int | None = None,
) -> Iterator[dict[str, str]]:
    """n resident rows keyed by the Japanese headers (``HEADERS``, or ``DELTA_HEADERS`` for a delta).

    ``delta=True`` yields n change rows against the full file ``generate_residents(base_rows,
    municipality_code, seed=seed)`` (``base_rows`` defaults to n): about half 更新 and a fifth 削除 of
    distinct persons of that file, the rest 追加 of new households with new ids, in change-date order.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    lookup(municipality_code)  # refuse a bad code now, not at the first row
    directory = postal or get_postal_directory()
    if delta:
        return _delta_rows(n, municipality_code, seed, bad_share, directory, base_rows or n)
    return _full_rows(n, municipality_code, seed, bad_share, directory)


def _full_rows(n: int, code: str, seed: int, bad_share: float,
               postal: PosutoPostalDirectory) -> Iterator[dict[str, str]]:
    population = _Population(code, seed, postal)
    defects = _defects(n, bad_share, seed, DEFECT_CODES)
    bad_rng = random.Random(f"defect-values:{seed}")  # noqa: S311
    persons = population.persons(PERSON_ID_BASE, HOUSEHOLD_ID_BASE)
    for index in range(n):
        row = population.row(next(persons))
        defect = defects.get(index)
        if defect is not None:
            _break(row, defect, bad_rng, population.prefecture_code)
        yield row


def _updated(population: _Population, p: _Person, rng: random.Random) -> _Person:
    """The person after one everyday change (move, new phone, care needs, marriage, protection)."""
    kind = rng.choice(("move", "phone", "care", "marriage", "protection"))
    if kind == "move":
        area, street = population.address()
        return replace(p, area=area, street=street, extra=population.building(area))
    if kind == "phone":
        return replace(p, phone=f"090-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}")
    if kind == "marriage" and p.age >= 18:
        return replace(p, surname=population.surname())
    if kind == "protection" and not p.protected:
        return replace(p, protected=True)
    needs = ("要介護",) if "要介護" not in p.care_needs else ()
    return replace(p, care_needs=tuple(sorted({*p.care_needs, *needs})) or ("その他",))


def _delta_rows(n: int, code: str, seed: int, bad_share: float, postal: PosutoPostalDirectory,
                base_rows: int) -> Iterator[dict[str, str]]:
    rng = random.Random(f"delta:{seed}")  # noqa: S311
    updates = min(round(n * 0.5), base_rows)
    removals = min(round(n * 0.2), base_rows - updates)
    adds = n - updates - removals
    targets = rng.sample(range(base_rows), updates + removals)
    change_of = dict.fromkeys(targets[:updates], "更新") | dict.fromkeys(targets[updates:], "削除")

    # Walk the full file's persons (same seed, same draws) and keep only the targets.
    base = _Population(code, seed, postal)
    chosen: list[tuple[str, _Person]] = []
    persons = base.persons(PERSON_ID_BASE, HOUSEHOLD_ID_BASE)
    for index in range(base_rows):
        person = next(persons)
        base.row(person)  # keeps the draws in step with the full file
        if index in change_of:
            chosen.append((change_of[index], person))

    # Adds are new households moving in: ids above anything the full file can hold.
    population = _Population(code, f"delta:{seed}", postal)
    newcomers = population.persons(PERSON_ID_BASE + base_rows, HOUSEHOLD_ID_BASE + base_rows)
    changes = [(change, _updated(population, p, rng) if change == "更新" else p) for change, p in chosen]
    changes += [("追加", next(newcomers)) for _ in range(adds)]
    rng.shuffle(changes)

    start = AS_OF - timedelta(days=30)
    dates = sorted(start + timedelta(days=rng.randrange(30)) for _ in changes)
    defects = _defects(n, bad_share, seed, DELTA_DEFECT_CODES)
    bad_rng = random.Random(f"defect-values:{seed}")  # noqa: S311
    for index, ((change, person), when) in enumerate(zip(changes, dates, strict=True)):
        row = population.row(person)
        row["異動区分"] = change
        row["異動日"] = render_date(when, rng.choices(_DATE_FORMS, weights=_DATE_WEIGHTS)[0])
        defect = defects.get(index)
        if defect is not None:
            _break(row, defect, bad_rng, population.prefecture_code)
        yield row


def _geta(error: UnicodeError) -> tuple[str, int]:
    # 〓 (geta) is what Japanese systems print for a character they cannot show.
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "〓" * (error.end - error.start), error.end


codecs.register_error("victim_support_geta", _geta)


def write_csv(
    path: str | PathLike[str],
    rows: Iterable[Mapping[str, str]],
    *,
    encoding: Literal["cp932", "utf-8", "utf-8-sig"],
    line_ending: str = "\r\n",
) -> int:
    """Write rows as RFC 4180 CSV with a header line taken from the first row; return the row count.

    Streams: each row is encoded and written as it comes. In CP932 a character outside the code page
    becomes 〓 rather than failing the file (the generator never produces one).
    """
    count = 0
    with Path(path).open("w", encoding=encoding, errors="victim_support_geta", newline="") as handle:
        writer = csv.writer(handle, lineterminator=line_ending)
        header: list[str] | None = None
        for row in rows:
            if header is None:
                header = list(row)
                writer.writerow(header)
            writer.writerow([row.get(name, "") for name in header])
            count += 1
    return count
