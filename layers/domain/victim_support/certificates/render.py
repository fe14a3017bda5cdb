"""罹災証明書 / 被災証明書 as one A4 page, laid out after the Cabinet Office unified form
(内閣府 府政防第737号): number, title, a ruled table (世帯主住所, 世帯主氏名, 罹災原因, 被災住家の所在地,
住家の被害の程度, optional 世帯構成員), the certifying sentence, the date of issue in 和暦, the mayor with
the official seal over the name, and a verification block (code and QR code of the verification URL).

Drawn on a reportlab canvas rather than with flowables so every field sits where the form puts it.
Every string goes through ``font_runs``: IPAex明朝 where it has the glyph, IPAmj明朝 otherwise, and a
refusal (``CERTIFICATE_GLYPH_MISSING``) rather than a blank box. A field that does not fit its box
even at the smallest size allowed is refused (``CERTIFICATE_FIELD_TOO_LONG``, detail = the field's
name) instead of being cut or overprinted. Output is byte-for-byte deterministic for the same
content: reportlab's invariant mode, and the PDF dates set from the date of issue.
"""

from __future__ import annotations

import io
import math

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from victim_support.certificates.models import CertificateContent
from victim_support.damage import DamageLevel
from victim_support.documents.fonts import font_runs, mincho
from victim_support.errors import DomainError
from victim_support.rules.wareki import to_wareki

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = 20 * mm
RIGHT = PAGE_WIDTH - 20 * mm
LABEL_WIDTH = 42 * mm
CELL_PADDING = 2.5 * mm
SEAL_SIZE = 24 * mm
QR_SIZE = 30 * mm
MIN_SIZE = 7.0  # pt: below this a printed certificate is no longer comfortably legible
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MEMBER_COLUMNS = 3
# The order of the check boxes on the unified form.
_DAMAGE_LEVELS = (
    DamageLevel.TOTAL, DamageLevel.LARGE_SCALE_HALF, DamageLevel.MEDIUM_SCALE_HALF, DamageLevel.HALF,
    DamageLevel.QUASI_HALF, DamageLevel.PARTIAL,
)


def text_width(text: str, size: float) -> float:
    return sum(stringWidth(run, font, size) for font, run in font_runs(text))


def draw_text(canvas: Canvas, x: float, y: float, text: str, size: float, *, align: str = "left") -> float:
    """Draw one line (baseline ``y``) in as many font runs as it needs; returns its width."""
    runs = font_runs(text)
    width = sum(stringWidth(run, font, size) for font, run in runs)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    # One text object for the whole line keeps it one line for text extraction and search.
    text_object = canvas.beginText(x, y)
    for font, run in runs:
        text_object.setFont(font, size)
        text_object.textOut(run)
    canvas.drawText(text_object)
    return width


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy line breaking by character (Japanese breaks between any two characters)."""
    lines: list[str] = []
    current, current_width = "", 0.0
    for font, run in font_runs(text):
        for ch in run:
            w = stringWidth(ch, font, size)
            if current and current_width + w > width:
                lines.append(current)
                current, current_width = "", 0.0
            current += ch
            current_width += w
    if current:
        lines.append(current)
    return lines


def fit(text: str, field: str, width: float, size: float, max_lines: int) -> tuple[float, list[str]]:
    """The largest size from ``size`` down to ``MIN_SIZE`` at which ``text`` fits ``max_lines``."""
    font_runs(text)  # an unprintable character is the error to report, whatever the length
    # Fewer lines first, shrinking by at most 2 pt, before breaking a line (or shrinking to MIN_SIZE
    # on the last line allowed): a short overflow should not leave one character on a line of its own.
    for lines_allowed in range(1, max_lines + 1):
        floor = MIN_SIZE if lines_allowed == max_lines else max(MIN_SIZE, size - 2)
        current = size
        while current >= floor:
            lines = wrap(text, width, current)
            if len(lines) <= lines_allowed:
                return current, lines
            current -= 0.5
    raise DomainError("CERTIFICATE_FIELD_TOO_LONG", detail=field)


def qr_drawing(value: str, size: float) -> Drawing:
    """A ``size``-square drawing of the QR code of ``value`` (level M, with the 4-module quiet zone)."""
    widget = QrCodeWidget(value, barLevel="M", barWidth=size, barHeight=size)
    drawing = Drawing(size, size)
    drawing.add(widget)
    return drawing


class _Page:
    def __init__(self, canvas: Canvas, content: CertificateContent) -> None:
        self.c = canvas
        self.content = content

    def header(self) -> float:
        content = self.content
        draw_text(self.c, RIGHT, PAGE_HEIGHT - 25 * mm, f"整理番号　第{content.number}号", 11, align="right")
        if content.reissue_count > 0:
            draw_text(self.c, RIGHT, PAGE_HEIGHT - 31 * mm, f"（再交付{content.reissue_count}回目）", 10,
                      align="right")
        draw_text(self.c, PAGE_WIDTH / 2, PAGE_HEIGHT - 48 * mm, content.title, 22, align="center")
        return PAGE_HEIGHT - 58 * mm

    def table(self, top: float) -> float:
        content = self.content
        value_x = LEFT + LABEL_WIDTH + CELL_PADDING
        value_width = RIGHT - value_x - CELL_PADDING
        cause = f"{to_wareki(content.disaster_date)}の{content.disaster_name}による{content.cause}"
        risai = content.kind == "risai"
        fields: list[tuple[str, str, str, float, int]] = [
            ("世帯主住所", "head_address", content.head_address, 14 * mm, 2),
            ("世帯主氏名", "head_name", content.head_name, 12 * mm, 1),
            ("罹災原因" if risai else "被災原因", "cause", cause, 14 * mm, 2),
            ("被災住家の所在地" if risai else "被災場所", "dwelling_address", content.dwelling_address, 14 * mm, 2),
        ]
        y = top
        for label, field, text, height, max_lines in fields:
            self._lines(value_x, y, height, *fit(text, field, value_width, 11, max_lines))
            self._row(y, label, height)
            y -= height
        if content.damage_level is not None:
            height = 18 * mm
            self._damage_levels(value_x, y, value_width, height, content.damage_level)
            self._row(y, "住家の被害の程度", height)
        else:
            height = 20 * mm
            self._lines(value_x, y, height, *fit(content.affected or "", "affected", value_width, 11, 3))
            self._row(y, "被害の状況", height)
        y -= height
        if content.members:
            rows = math.ceil(len(content.members) / _MEMBER_COLUMNS)
            height = rows * 6 * mm + 4 * mm
            self._members(value_x, y, value_width)
            self._row(y, "世帯構成員", height)
            y -= height
        self.c.setLineWidth(0.8)
        self.c.rect(LEFT, y, RIGHT - LEFT, top - y)
        self.c.line(LEFT + LABEL_WIDTH, y, LEFT + LABEL_WIDTH, top)
        return y

    def _row(self, top: float, label: str, height: float) -> None:
        self.c.setLineWidth(0.5)
        self.c.line(LEFT, top - height, RIGHT, top - height)
        size = fit(label, "label", LABEL_WIDTH - 2 * CELL_PADDING, 10.5, 1)[0]
        draw_text(self.c, LEFT + LABEL_WIDTH / 2, top - height / 2 - size * 0.35, label, size, align="center")

    def _lines(self, x: float, top: float, height: float, size: float, lines: list[str]) -> None:
        leading = size * 1.35
        first = top - height / 2 + leading * (len(lines) - 1) / 2 - size * 0.35
        for i, line in enumerate(lines):
            draw_text(self.c, x, first - i * leading, line, size)

    def _damage_levels(self, x: float, top: float, width: float, height: float, selected: DamageLevel) -> None:
        # The form's check boxes, flowed left to right: ■ marks the level certified.
        size, gap = 10.5, 10.5
        items = [("■" if level == selected else "□") + level for level in _DAMAGE_LEVELS]
        rows: list[list[str]] = [[]]
        used = 0.0
        for item in items:
            w = text_width(item, size)
            if rows[-1] and used + gap + w > width:
                rows.append([])
                used = 0.0
            used += (gap if rows[-1] else 0.0) + w
            rows[-1].append(item)
        leading = size * 1.6
        baseline = top - height / 2 + leading * (len(rows) - 1) / 2 - size * 0.35
        for row in rows:
            cursor = x
            for item in row:
                cursor += draw_text(self.c, cursor, baseline, item, size) + gap
            baseline -= leading

    def _members(self, x: float, top: float, width: float) -> None:
        column = width / _MEMBER_COLUMNS
        for i, name in enumerate(self.content.members):
            row, col = divmod(i, _MEMBER_COLUMNS)
            size = fit(name, "members", column - CELL_PADDING, 10.5, 1)[0]
            draw_text(self.c, x + col * column, top - 2 * mm - (row + 1) * 6 * mm + 1.8 * mm, name, size)

    def attestation(self, table_bottom: float, seal_png: bytes | None) -> None:
        content = self.content
        y = table_bottom - 12 * mm
        draw_text(self.c, LEFT + 5 * mm, y, "上記のとおり相違ないことを証明します。", 12)
        y -= 11 * mm
        draw_text(self.c, LEFT + 10 * mm, y, to_wareki(content.issued_on), 12)
        y -= 16 * mm
        name_right = RIGHT - 12 * mm
        name_size = fit(content.mayor_name, "mayor_name", 50 * mm, 14, 1)[0]
        name_width = draw_text(self.c, name_right, y, content.mayor_name, name_size, align="right")
        draw_text(self.c, name_right - name_width - 4 * mm, y, content.mayor_title, 14, align="right")
        if seal_png is not None:
            # The 公印 overlaps the end of the mayor's name, as it is stamped on paper.
            last = content.mayor_name[-1]
            centre_x = name_right - text_width(last, name_size) / 2
            centre_y = y + name_size * 0.35
            self.c.drawImage(_seal(seal_png), centre_x - SEAL_SIZE / 2, centre_y - SEAL_SIZE / 2,
                             SEAL_SIZE, SEAL_SIZE, mask="auto", preserveAspectRatio=True, anchor="c")

    def verification(self) -> None:
        content = self.content
        bottom, height = 18 * mm, QR_SIZE + 4 * mm
        self.c.setLineWidth(0.5)
        self.c.rect(LEFT, bottom, RIGHT - LEFT, height)
        renderPDF.draw(qr_drawing(content.verify_url, QR_SIZE), self.c, LEFT + 2 * mm, bottom + 2 * mm)
        x = LEFT + QR_SIZE + 8 * mm
        top = bottom + height
        draw_text(self.c, x, top - 8 * mm, "検証コード", 9)
        draw_text(self.c, x + 20 * mm, top - 8 * mm, content.verification_code, 14)
        notice = "この証明書の内容と電子署名は、二次元コードまたは次のURLから確認できます。"
        draw_text(self.c, x, top - 15 * mm, notice, 8)
        size, lines = fit(content.verify_url, "verify_url", RIGHT - x - 3 * mm, 8, 2)
        for i, line in enumerate(lines):
            draw_text(self.c, x, top - 21 * mm - i * size * 1.3, line, size)
        issuer = f"{content.municipality_name}（団体コード {content.municipality_code}）"
        draw_text(self.c, x, bottom + 3 * mm, issuer, 8)


def _seal(png: bytes) -> ImageReader:
    if not png.startswith(_PNG_SIGNATURE):
        raise DomainError("CERTIFICATE_SEAL_INVALID")
    try:
        reader = ImageReader(io.BytesIO(png))
        reader.getSize()  # decodes the header now, so a corrupt PNG fails here and not mid-document
    except Exception as exc:  # Pillow raises several unrelated types for a corrupt image
        raise DomainError("CERTIFICATE_SEAL_INVALID") from exc
    return reader


def render_certificate(content: CertificateContent, *, seal_png: bytes | None) -> bytes:
    """The certificate as a one-page A4 PDF (fonts embedded as subsets), ready to be signed."""
    mincho()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, lang="ja-JP")
    issued = content.issued_on
    # PDF dates from the date of issue, not the clock: the same content gives the same bytes.
    canvas.setDateFormatter(lambda *_: f"D:{issued:%Y%m%d}000000+09'00'")
    canvas.setTitle(f"{content.title} 第{content.number}号")
    canvas.setAuthor(content.municipality_name)
    canvas.setSubject(content.title)
    canvas.setCreator("クラウド型被災者支援システム")
    page = _Page(canvas, content)
    table_top = page.header()
    table_bottom = page.table(table_top)
    page.attestation(table_bottom, seal_png)
    page.verification()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
