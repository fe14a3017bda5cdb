"""Plain-text rendering of an estimate for the terminal: aligned columns (full-width characters count
as two), amounts with thousands separators, 記載なし where the seed gives no figure."""

from __future__ import annotations

import unicodedata

from victim_support.fees.estimation import Estimate, LineItem

_HEADER = ("項目 / item", "金額(円) / amount (yen)", "支払者 / payer", "支払先 / payee")
_NOT_IN_TOTAL = "*"  # ASCII: ambiguous-width marks break the alignment in some terminals


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill


def format_amount(item: LineItem) -> str:
    if item.amount is not None:
        text = f"{item.amount:,}"
    elif item.low is not None and item.high is not None:
        text = f"{item.low:,}–{item.high:,}"
    else:
        text = item.amount_text or "—"
    return f"{text}  " if item.in_total else f"{text} {_NOT_IN_TOTAL}"


def _table(rows: list[tuple[str, str, str, str]], bases: list[str | None], indent: str) -> list[str]:
    widths = [max(display_width(row[i]) for row in [_HEADER, *rows]) for i in range(4)]

    def line(row: tuple[str, str, str, str]) -> str:
        return indent + "  ".join(
            _pad(cell, widths[i], right=(i == 1 and row is not _HEADER)) for i, cell in enumerate(row)
        ).rstrip()

    out = [line(_HEADER), indent + "  ".join("-" * w for w in widths)]
    for row, basis in zip(rows, bases, strict=True):
        out.append(line(row))
        if basis:
            out.append(f"{indent}    └ {basis}")
    return out


def _row(item: LineItem) -> tuple[str, str, str, str]:
    return (f"{item.name_ja} / {item.name_en}", format_amount(item), item.payer, item.payee)


def _rows(items: list[LineItem], total: tuple[str, str] | None, indent: str) -> list[str]:
    rows = [_row(item) for item in items]
    bases: list[str | None] = [
        item.basis + (f" [{item.settled}]" if item.settled else "") for item in items
    ]
    if total is not None:
        rows.append((total[0], f"{total[1]}  ", "", ""))
        bases.append(None)
    return _table(rows, bases, indent)


def render_estimate(result: Estimate) -> str:
    req = result.request
    lines = [
        f"費用試算 / fee estimate: population {req.population:,}, pattern {req.pattern}, start {req.start_month}",
        "",
        "初期費用 / one-off",
        *_rows(result.one_off, None, "  "),
    ]
    for year in result.fiscal_years:
        total = f"{year.total:,}" + (" 以上 (at least)" if year.total_is_lower_bound else "")
        lines += [
            "",
            f"{year.label_ja} (FY{year.fiscal_year}) {year.period}, {year.months_of_use} months, rate: {year.rate}",
            *_rows(year.line_items, (f"合計 / total (FY{year.fiscal_year})", total), "  "),
        ]
    lines += ["", f"{_NOT_IN_TOTAL} 合計に含めない / not in the total", "", "注 / notes"]
    lines += [f"  - {note}" for note in result.notes]
    return "\n".join(lines) + "\n"
