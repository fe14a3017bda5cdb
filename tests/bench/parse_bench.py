"""Parse benchmark: row validation, and reading with it, against a bare ``csv.reader`` pass.

Run ``.venv/bin/python -m tests.bench.parse_bench [rows]``: it writes a synthetic CP932 resident file
(100,000 rows by default) to a temporary folder and prints the rates and their ratios. The target is
a validation ratio of at least 0.5: validating a file's rows at least half as fast as merely
decoding and splitting it. The target's two reference validators (a TypedDict list adapter, about
0.9, and a per-row BaseModel, about 0.25) are measured that way (``reference_ratios``); the ratio of
reading and validating together is printed beside it.
"""

from __future__ import annotations

import codecs
import csv
import io
import pathlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from itertools import islice
from typing import Any

from pydantic import TypeAdapter, create_model
from typing_extensions import TypedDict
from victim_support.intake.headers import map_headers
from victim_support.intake.reader import iter_records
from victim_support.intake.rows import RowValidator
from victim_support.rules.postal import PostalLookup
from victim_support.rules.wareki import to_wareki

MASHIKI_TOWN = "434434"  # 益城町: JIS 43443 + check digit 4
_MASHIKI_JIS = "43443"
_MASHIKI_POSTAL_CODES = tuple(f"86122{n:02d}" for n in range(1, 46))


class FixedPostalLookup:
    """Postal codes of one town, enough for the benchmark's synthetic file."""

    def __init__(self, codes: dict[str, str]) -> None:
        self._codes = codes

    def municipalities_of(self, postal_code: str) -> frozenset[str]:
        jis = self._codes.get(postal_code)
        return frozenset({jis}) if jis else frozenset()

    def belongs_to(self, postal_code: str, municipality_code: str) -> bool:
        return self._codes.get(postal_code) == municipality_code[:5]


def mashiki_postal_lookup() -> FixedPostalLookup:
    return FixedPostalLookup(dict.fromkeys(_MASHIKI_POSTAL_CODES, _MASHIKI_JIS))


def _sniff_encoding(path: pathlib.Path) -> str:
    head = _head(path)  # outside the timed passes: the bench measures parsing, not the scan
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp932"
    return "utf-8"


def _head(path: pathlib.Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(1 << 16)


def _median_of(runs: int, action: Callable[[], int]) -> tuple[int, float]:
    """Rows and the median seconds of ``runs`` timed runs, after one untimed warm-up run."""
    rows = action()
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = action()
        durations.append(time.perf_counter() - started)
    return rows, statistics.median(durations)


def bench_parse(path: pathlib.Path, municipality_code: str, postal: PostalLookup, *, runs: int = 3) -> dict[str, float]:
    """Rows, seconds and rows/s of (a) a bare csv.reader pass and (b) the worker's read + validate, and
    within (b) the time spent validating: for each, the median of ``runs`` timed runs after a warm-up.

    (b) reads with the worker's reader (``RecordReader.next_batch``, 256 records a batch) and checks
    each batch with ``RowValidator.validate_batch`` into the rows the write path consumes, as tuples.
    Every run builds a new validator, so its memos start empty each time, as for a new file.

    Two ratios come out, both against the bare pass's rows/s: ``validation_ratio`` (the validation
    step alone, as the target's reference validators are measured: see ``reference_ratios``) and
    ``ratio`` (reading and validating together).
    """
    encoding = _sniff_encoding(path)

    def bare() -> int:
        rows = 0
        with path.open("rb") as stream:
            for _fields in csv.reader(io.TextIOWrapper(stream, encoding=encoding, newline="")):
                rows += 1
        return rows - 1  # the header

    def validated() -> tuple[int, float]:
        rows, validating = 0, 0.0
        with path.open("rb") as stream:
            records = iter_records(stream, encoding, first_line=1)
            _line, header = next(records)
            validator = RowValidator(map_headers(header, "full"), "full", municipality_code, postal)
            while True:
                lines, fields = records.next_batch(256)
                if not fields:
                    break
                started = time.perf_counter()
                checked, _issues = validator.validate_batch(lines, fields)
                validating += time.perf_counter() - started
                rows += len(checked)
        return rows, validating

    bare_rows, bare_seconds = _median_of(runs, bare)
    validated()  # warm-up
    totals, validations = [], []
    for _ in range(runs):
        started = time.perf_counter()
        rows, validating = validated()
        totals.append(time.perf_counter() - started)
        validations.append(validating)
    seconds, validation_seconds = statistics.median(totals), statistics.median(validations)
    bare_rate = bare_rows / bare_seconds
    return {
        "rows": float(rows),
        "bare_rows": float(bare_rows),
        "bare_seconds": bare_seconds,
        "bare_rows_per_second": bare_rate,
        "validated_seconds": seconds,
        "validated_rows_per_second": rows / seconds,
        "ratio": (rows / seconds) / bare_rate,
        "validation_seconds": validation_seconds,
        "validation_rows_per_second": rows / validation_seconds,
        "validation_ratio": (rows / validation_seconds) / bare_rate,
    }


def reference_ratios(path: pathlib.Path, bare_rows_per_second: float, *, rows: int = 100_000) -> dict[str, float]:
    """The two reference validators the 0.5 target is set against, on the first ``rows`` records of
    the file: every field a plain ``str``, records already read into dicts, the validation alone timed
    (median of three after a warm-up) and set against the bare csv.reader pass's rows/s. A TypedDict
    list adapter and a per-row BaseModel, given as about 0.9 and 0.25 where the target is stated.
    """
    encoding = _sniff_encoding(path)
    with path.open("rb") as stream:
        reader = csv.reader(io.TextIOWrapper(stream, encoding=encoding, newline=""))
        index = map_headers(next(reader), "full").index
        names = list(index)
        records = [dict(zip(names, (fields[index[name]] for name in names), strict=True))
                   for fields in islice(reader, rows)]  # fmt: skip
    shape: Any = TypedDict("ResidentShape", dict.fromkeys(names, str))  # type: ignore[operator]
    per_row: Any = create_model("ResidentModel", **dict.fromkeys(names, (str, ...)))
    adapter = TypeAdapter(list[shape])

    def typed_dict() -> int:
        return len(adapter.validate_python(records))

    def base_model() -> int:
        return len([per_row.model_validate(record) for record in records])

    figures: dict[str, float] = {"reference_rows": float(len(records))}
    for label, action in (("typed_dict", typed_dict), ("base_model", base_model)):
        count, seconds = _median_of(3, action)
        figures[f"{label}_ratio"] = (count / seconds) / bare_rows_per_second
    return figures


_SURNAMES = (
    ("山田", "ヤマダ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("渡辺", "ワタナベ"), ("伊藤", "イトウ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("坂本", "サカモト"),
    ("松本", "マツモト"), ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("清水", "シミズ"),
)  # fmt: skip
_GIVEN_NAMES = (
    ("太郎", "タロウ"), ("花子", "ハナコ"), ("一郎", "イチロウ"), ("美咲", "ミサキ"), ("翔太", "ショウタ"),
    ("陽菜", "ヒナ"), ("健二", "ケンジ"), ("由美", "ユミ"), ("大輔", "ダイスケ"), ("さくら", "サクラ"),
    ("勇気", "ユウキ"), ("恵子", "ケイコ"), ("蓮", "レン"), ("結衣", "ユイ"), ("昭", "アキラ"),
)  # fmt: skip
_TOWNS = ("宮園", "惣領", "木山", "安永", "広崎", "寺迫", "馬水", "福富", "小谷", "古閑")
_RELATIONSHIPS = ("世帯主", "妻", "子", "子", "母", "父", "孫", "長男", "長女")
_HEADER = (
    "宛名番号", "世帯番号", "氏名", "氏名カナ", "生年月日", "性別", "続柄", "郵便番号",
    "住所", "方書", "電話番号", "要配慮者区分", "支援措置",
)  # fmt: skip


def _birth_text(rng: random.Random) -> str:
    born = date(1925, 1, 1) + timedelta(days=rng.randrange(36500))
    form = rng.random()
    if form < 0.5:
        return born.isoformat()
    if form < 0.7:
        return born.strftime("%Y%m%d")
    if form < 0.85:
        return to_wareki(born)
    letter = {"令和": "R", "平成": "H", "昭和": "S", "大正": "T", "明治": "M"}[to_wareki(born)[:2]]
    era_year = to_wareki(born)[2:].split("年")[0]
    return f"{letter}{era_year}.{born.month}.{born.day}"


def synthetic_rows(count: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    rows: list[list[str]] = []
    household = 0
    for person in range(1, count + 1):
        if person == 1 or rng.random() < 0.4:
            household += 1
        surname, surname_kana = rng.choice(_SURNAMES)
        given, given_kana = rng.choice(_GIVEN_NAMES)
        name, kana = f"{surname}\u3000{given}", f"{surname_kana}\u3000{given_kana}"
        variation = rng.random()
        if variation < 0.02:
            name = f"{surname} {given}"  # a half-width space: normalised
        elif variation < 0.03:
            kana = f"{surname_kana} {given_kana}"
        elif variation < 0.035:
            name = surname  # no given name: rejected
        rows.append(
            [
                f"{person:010d}",
                f"{household:08d}",
                name,
                kana,
                _birth_text(rng),
                rng.choice("12"),
                rng.choice(_RELATIONSHIPS),
                rng.choice(_MASHIKI_POSTAL_CODES) if rng.random() < 0.9 else "861-2233",
                f"熊本県上益城郡益城町大字{rng.choice(_TOWNS)}{rng.randrange(1, 3000)}番地",
                f"益城ハイツ{rng.randrange(1, 4)}0{rng.randrange(1, 9)}号" if rng.random() < 0.15 else "",
                f"096-{rng.randrange(200, 300)}-{rng.randrange(10000):04d}" if rng.random() < 0.6 else "",
                rng.choice(("", "", "", "", "高齢者", "高齢者;要介護", "乳幼児")),
                "1" if rng.random() < 0.002 else rng.choice(("", "0")),
            ]
        )
    return rows


def write_synthetic_file(path: pathlib.Path, count: int) -> None:
    with path.open("w", encoding="cp932", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(_HEADER)
        writer.writerows(synthetic_rows(count))


def main(argv: list[str]) -> None:
    count = int(argv[1]) if len(argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "residents.csv"
        write_synthetic_file(path, count)
        figures = bench_parse(path, MASHIKI_TOWN, mashiki_postal_lookup())
        references = reference_ratios(path, figures["bare_rows_per_second"])
    print(f"file: {count} rows, CP932, CRLF")
    print(f"bare csv.reader:       {figures['bare_rows_per_second']:>12,.0f} rows/s ({figures['bare_seconds']:.3f} s)")
    print(
        f"validation alone:      {figures['validation_rows_per_second']:>12,.0f} rows/s "
        f"({figures['validation_seconds']:.3f} s)   ratio {figures['validation_ratio']:.2f}"
    )
    print(
        f"read + validate:       {figures['validated_rows_per_second']:>12,.0f} rows/s "
        f"({figures['validated_seconds']:.3f} s)   ratio {figures['ratio']:.2f}"
    )
    print(
        f"references, validation alone: TypedDict list {references['typed_dict_ratio']:.2f}, "
        f"per-row BaseModel {references['base_model_ratio']:.2f}"
    )


if __name__ == "__main__":
    main(sys.argv)
