from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pypdf
import pytest
from pydantic import ValidationError
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from victim_support.certificates import render
from victim_support.certificates.render import render_certificate
from victim_support.documents.fonts import FALLBACK_MINCHO, MINCHO
from victim_support.errors import DomainError

from tests.unit.certificates.data import SEAL_SIZE_PX, content

SUBSET_TAG = re.compile(r"^/?[A-Z]{6}\+")


def reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in reader(pdf).pages)


def embedded_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(BaseFont, has /FontFile2) of every font on every page."""
    fonts = []
    for page in reader(pdf).pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None:
                fonts.append((str(font["/BaseFont"]), "/FontFile2" in descriptor.get_object()))
    return fonts


@pytest.fixture(scope="module")
def risai_pdf() -> bytes:
    from tests.unit.certificates.data import seal_png_bytes

    return render_certificate(content(), seal_png=seal_png_bytes())


def test_every_field_of_a_risai_certificate_is_in_the_text(risai_pdf: bytes) -> None:
    text = text_of(risai_pdf)
    c = content()
    for expected in (
        "罹災証明書", "整理番号", "第2026-000123号",
        "世帯主住所", c.head_address, "世帯主氏名", "𠮷田",
        "罹災原因", "令和8年11月20日", c.disaster_name, c.cause,
        "被災住家の所在地", c.dwelling_address,
        "住家の被害の程度", "■中規模半壊", "□全壊", "□準半壊に至らない（一部損壊）",
        "世帯構成員", "花子", "髙橋",
        "上記のとおり相違ないことを証明します。", "令和8年11月27日", "益城町長", "西村博則",
        "検証コード", c.verification_code, c.verify_url,
    ):
        assert expected in text, expected
    assert "再交付" not in text  # a first issue says nothing about reissues


def test_a_name_with_a_character_only_ipamj_has_embeds_both_fonts_as_subsets(risai_pdf: bytes) -> None:
    assert "𠮷田" in text_of(risai_pdf)  # the ToUnicode map carries the astral character correctly
    fonts = embedded_fonts(risai_pdf)
    names = {name for name, _ in fonts}
    assert any(name.endswith(f"+{MINCHO}") for name in names), names
    assert any(name.endswith(f"+{FALLBACK_MINCHO}") for name in names), names
    for name, has_font_file in fonts:
        assert has_font_file, name
        assert SUBSET_TAG.match(name), name


def test_without_characters_beyond_ipaex_only_the_primary_font_is_used() -> None:
    pdf = render_certificate(content(head_name="山田　太郎", members=["山田　花子"]), seal_png=None)
    names = {name for name, _ in embedded_fonts(pdf)}
    assert all(name.endswith(f"+{MINCHO}") for name in names), names


def test_the_seal_is_drawn_as_an_image_with_transparency(risai_pdf: bytes) -> None:
    resources: Any = reader(risai_pdf).pages[0]["/Resources"]
    images = [x.get_object() for x in resources["/XObject"].values()
              if x.get_object()["/Subtype"] == "/Image"]
    assert [(i["/Width"], i["/Height"]) for i in images] == [SEAL_SIZE_PX]
    assert "/SMask" in images[0]  # the alpha channel: the seal does not hide the name under it


def test_without_a_seal_no_image_is_drawn() -> None:
    resources: Any = reader(render_certificate(content(), seal_png=None)).pages[0]["/Resources"]
    xobjects = resources.get("/XObject", {})
    assert not [x for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]


def test_the_qr_code_encodes_the_verification_url(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[Drawing] = []
    original = render.qr_drawing

    def spy(value: str, size: float) -> Drawing:
        drawing = original(value, size)
        drawn.append(drawing)
        return drawing

    monkeypatch.setattr(render, "qr_drawing", spy)
    c = content()
    render_certificate(c, seal_png=None)
    assert len(drawn) == 1
    widgets = [shape for shape in drawn[0].contents if isinstance(shape, QrCodeWidget)]
    assert [w.value for w in widgets] == [c.verify_url]
    assert c.verify_url == f"https://verify.example.lg.jp/verify/2026-000123?code={c.verification_code}"


def test_identical_content_renders_identical_bytes(seal_png: bytes) -> None:
    first = render_certificate(content(), seal_png=seal_png)
    second = render_certificate(content(), seal_png=seal_png)
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    assert render_certificate(content(number="2026-000124"), seal_png=seal_png) != first


def test_the_pdf_dates_come_from_the_date_of_issue(risai_pdf: bytes) -> None:
    info: Any = reader(risai_pdf).metadata
    assert info["/CreationDate"] == "D:20261127000000+09'00'"
    assert info["/ModDate"] == "D:20261127000000+09'00'"


def test_a_reissue_shows_its_count() -> None:
    assert "（再交付2回目）" in text_of(render_certificate(content(reissue_count=2), seal_png=None))


def test_a_higai_certificate_states_what_was_affected() -> None:
    pdf = render_certificate(
        content(kind="higai", damage_level=None, affected="自家用車（熊本500あ1234）の浸水"), seal_png=None
    )
    text = text_of(pdf)
    assert "被災証明書" in text
    assert "被害の状況" in text
    assert "自家用車（熊本500あ1234）の浸水" in text
    assert "住家の被害の程度" not in text
    assert "罹災証明書" not in text


def test_a_private_use_character_is_refused_with_its_code_point_only() -> None:
    with pytest.raises(DomainError) as raised:
        render_certificate(content(head_name="\ue000田　太郎"), seal_png=None)
    assert raised.value.code == "CERTIFICATE_GLYPH_MISSING"
    assert raised.value.detail == "U+E000"
    assert "田" not in str(raised.value)


def test_a_long_address_shrinks_and_wraps_within_its_box() -> None:
    address = "熊本県上益城郡益城町大字宮園字東ノ前702番地の3　益城町営住宅テクノ団地第二期A棟1204号室"
    text = text_of(render_certificate(content(head_address=address), seal_png=None))
    assert address.replace("　", "") in text.replace("\n", "").replace("　", "").replace(" ", "")


def test_a_field_that_cannot_fit_is_refused_not_cut() -> None:
    with pytest.raises(DomainError) as raised:
        render_certificate(content(head_name="寿限無" * 20), seal_png=None)
    assert raised.value.code == "CERTIFICATE_FIELD_TOO_LONG"
    assert raised.value.detail == "head_name"


@pytest.mark.parametrize("seal", [b"GIF89a" + bytes(40), b"\x89PNG\r\n\x1a\n" + b"not really a png"])
def test_a_seal_that_is_not_a_png_is_refused(seal: bytes) -> None:
    with pytest.raises(DomainError) as raised:
        render_certificate(content(), seal_png=seal)
    assert raised.value.code == "CERTIFICATE_SEAL_INVALID"


@pytest.mark.parametrize("overrides", [
    {"damage_level": None},  # a 罹災証明書 without its damage level
    {"affected": "自家用車"},  # a 罹災証明書 with a 被災証明書 field
    {"kind": "higai"},  # a 被災証明書 with a damage level and nothing affected
    {"damage_level": "半分"},
    {"head_name": "𠮷田\n太郎"},
    {"members": ["𠮷田　太郎", ""]},
    {"verification_code": "0000-0000-0000-000I"},
    {"verify_url": "http://verify.example.lg.jp/verify/1"},
    {"municipality_code": "43443"},
])
def test_inconsistent_content_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        content(**overrides)


def test_content_is_frozen() -> None:
    c = content()
    with pytest.raises(ValidationError):
        c.head_name = "山田　太郎"  # type: ignore[misc]


def test_the_fullest_certificate_still_fits_one_page(seal_png: bytes) -> None:
    long = "熊本県上益城郡益城町大字宮園字東ノ前702番地の3　益城町営住宅テクノ団地第二期A棟1204号室（山田方）"
    pdf = render_certificate(content(
        members=[f"𠮷田　太郎{i}" for i in range(20)], head_address=long, dwelling_address=long,
        disaster_name="令和8年11月20日から22日にかけての熊本県熊本地方を震源とする一連の地震活動", reissue_count=3,
    ), seal_png=seal_png)
    pages = reader(pdf).pages
    assert len(pages) == 1
    assert "太郎19" in pages[0].extract_text()


def test_a_certificate_with_the_seal_is_small(seal_png: bytes) -> None:
    """Unhinted subsets and binary (not ASCII85) streams: about 41 KB (79 KB with hinting and
    ASCII85); the PAdES signature adds about 7 KB, under the 60 KB a signed certificate may take."""
    pdf = render_certificate(content(head_name="山田　太郎", members=["山田　花子"]), seal_png=seal_png)
    assert len(pdf) < 48_000, len(pdf)
    assert b"/ASCII85Decode" not in pdf
