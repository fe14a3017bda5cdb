"""Statements as CSV (UTF-8 with BOM, so spreadsheet software on municipal PCs opens it as Japanese)
and as an A4 PDF with the embedded mincho font."""

from __future__ import annotations

import csv
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from victim_support.billing.statements import Statement
from victim_support.documents.fonts import mincho
from victim_support.rules.wareki import to_wareki

CSV_COLUMNS = (
    "municipality_code", "period", "statement", "key", "項目", "item", "数量", "単価", "金額",
    "支払者", "支払先", "精算", "basis",
)
_SETTLEMENT_JA = {"due_now": "今回請求", "next_fiscal_year": "翌年度精算", "annual": "年額",
                  "information": "参考"}


def statement_csv(statement: Statement) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in statement.lines:
        writer.writerow((
            statement.municipality_code, statement.period, statement.kind, line.key, line.name_ja, line.name_en,
            "" if line.quantity is None else line.quantity, "" if line.unit_yen is None else line.unit_yen,
            "記載なし" if line.amount is None else line.amount, line.payer, line.payee,
            _SETTLEMENT_JA[line.settlement], line.basis,
        ))
    for key, name, amount in (("total", "合計（団体負担）", statement.total),
                              ("due_now", "今回請求額", statement.due_now),
                              ("accrued_for_settlement", "翌年度精算分", statement.accrued_for_settlement)):
        writer.writerow((statement.municipality_code, statement.period, statement.kind, key, name, key,
                         "", "", amount, "municipality", "", "", ""))
    return out.getvalue().encode("utf-8-sig")


def _yen(amount: int | None) -> str:
    return "記載なし" if amount is None else f"{amount:,}円"


def statement_pdf(statement: Statement) -> bytes:
    font = mincho()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    small = ParagraphStyle("small", fontName=font, fontSize=7, leading=9)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=f"{statement.title_ja} {statement.municipality_code} {statement.period}",
        author="クラウド型被災者支援システム", invariant=True,
    )
    rows: list[list[object]] = [["項目", "数量", "単価", "金額", "支払先", "精算"]]
    for line in statement.lines:
        rows.append([
            Paragraph(f"{line.name_ja}<br/><font size=6>{line.basis}</font>", body),
            "" if line.quantity is None else f"{line.quantity:,}",
            "" if line.unit_yen is None else f"{line.unit_yen:,}",
            _yen(line.amount), Paragraph(line.payee, small), _SETTLEMENT_JA[line.settlement],
        ])
    rows += [["合計（団体負担）", "", "", _yen(statement.total), "", ""],
             ["今回請求額", "", "", _yen(statement.due_now), "", ""],
             ["翌年度精算分", "", "", _yen(statement.accrued_for_settlement), "", ""]]
    table = Table(rows, colWidths=[78 * mm, 14 * mm, 14 * mm, 26 * mm, 30 * mm, 18 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("ALIGN", (1, 1), (3, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story = [
        Paragraph(statement.title_ja, title),
        Spacer(1, 4 * mm),
        Paragraph(f"{statement.municipality_name}（団体コード {statement.municipality_code}） 御中", body),
        Paragraph(f"対象期間: {statement.period_ja}　発行日: {to_wareki(statement.issued_on)}", body),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 4 * mm),
        Paragraph("利用料は利用開始月から月割（年額を12か月に累積切り捨てで按分）、翌年度当初に精算します。"
                  "コンビニ交付委託手数料はJ-LISを経由してコンビニ事業者等に支払われます（繰替払）。", small),
    ]
    if statement.amounts_not_given:
        story.append(Paragraph("「記載なし」: 料金表に金額の記載がない区分です（J-LISから別途通知）。", small))
    document.build(story)
    return buffer.getvalue()
