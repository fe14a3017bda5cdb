from __future__ import annotations

import argparse
import json

import pytest

from infra.local.cli_fees import register


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="victim-support")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["fees", "estimate", *argv])
    status: int = args.func(args)
    return status


WORKED_EXAMPLE = ["--population", "33000", "--pattern", "A", "--start", "2024-10",
                  "--prefecture-share", "0.5", "--measure-first-year", "2022"]


def test_table_shows_each_fiscal_year_and_its_total(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run([*WORKED_EXAMPLE, "--kiosk", "--municipality-class", "town_village", "--copies", "100"]) == 0
    out = capsys.readouterr().out
    assert "令和6年度 (FY2024)" in out and "令和8年度 (FY2026)" in out
    assert "被災者支援システム利用料 / system usage fee" in out
    # FY2024: 184,875 + 345,481 + 10,700; FY2025: 515,000 + 345,481 + 10,700
    assert "合計 / total (FY2024)" in out and "541,056" in out
    assert "871,181" in out
    assert "0–3,200,000" in out


def test_not_given_cells_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["--population", "40000", "--pattern", "B", "--start", "2025-04", "--kiosk",
                 "--municipality-class", "city"]) == 0
    out = capsys.readouterr().out
    assert "記載なし (not given)" in out
    assert "以上 (at least)" in out


def test_json_has_line_items_and_totals(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run([*WORKED_EXAMPLE, "--json", "--fiscal-year", "2024"]) == 0
    data = json.loads(capsys.readouterr().out)
    (year,) = data["fiscal_years"]
    assert (year["fiscal_year"], year["total"], year["total_is_lower_bound"]) == (2024, 184_875, False)
    for item in year["line_items"]:
        assert {"name_ja", "name_en", "amount", "payee", "basis"} <= item.keys()
    assert year["line_items"][0]["amount"] == 184_875


def test_municipality_code_sets_the_class(capsys: pytest.CaptureFixture[str]) -> None:
    # 131016 千代田区: a Tokyo special ward counts as a city (< 30,000 with BCL's server: 1,873,259).
    assert _run(["--population", "20000", "--pattern", "A", "--start", "2025-04", "--fiscal-year", "2025",
                 "--kiosk", "--municipality", "131016", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["request"]["municipality_class"] == "city"
    items = {item["key"]: item for item in data["fiscal_years"][0]["line_items"]}
    assert items["kiosk_operating_contribution"]["amount"] == 1_873_259


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["--population", "100", "--pattern", "B", "--start", "2025-04", "--issuance-server", "own"],
         "FEES_PATTERN_B_OWN_SERVER"),
        (["--population", "100", "--pattern", "A", "--start", "2025-04", "--kiosk"], "FEES_INPUT_INVALID"),
        (["--population", "0", "--pattern", "A", "--start", "2025-04"], "FEES_INPUT_INVALID"),
        (["--population", "100", "--pattern", "A", "--start", "April"], "FEES_INPUT_INVALID"),
        (["--population", "100", "--pattern", "A", "--start", "2025-04", "--kiosk", "--municipality", "011011"],
         "FEES_INPUT_INVALID"),
        (["--population", "100", "--pattern", "A", "--start", "2025-04", "--municipality", "011012"],
         "MUNICIPALITY_CODE_INVALID"),
    ],
)
def test_bad_input_exits_2_with_the_code(argv: list[str], code: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(code)


@pytest.mark.parametrize(
    "argv",
    [
        ["--population", "many", "--pattern", "A", "--start", "2025-04"],
        ["--population", "100", "--pattern", "C", "--start", "2025-04"],
        ["--population", "100", "--pattern", "A", "--start", "2025-04", "--certificate-free",
         "--certificate-fee", "300"],
    ],
)
def test_argument_errors_exit_2_with_the_code(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        _run(argv)
    assert caught.value.code == 2
    assert "FEES_INPUT_INVALID" in capsys.readouterr().err
