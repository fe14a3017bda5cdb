from __future__ import annotations

from pathlib import Path

import pytest
from victim_support.documents import fonts
from victim_support.documents.fonts import FALLBACK_MINCHO, MINCHO, FontNotInstalledError, font_runs
from victim_support.errors import DomainError


def test_runs_use_the_primary_font_wherever_it_has_the_glyph() -> None:
    assert font_runs("髙橋　一郎") == [(MINCHO, "髙橋　一郎")]


def test_characters_beyond_ipaex_fall_back_to_ipamj() -> None:
    assert font_runs("𠮷田　太郎") == [(FALLBACK_MINCHO, "𠮷"), (MINCHO, "田　太郎")]
    assert font_runs("田𠮷𠮷田") == [(MINCHO, "田"), (FALLBACK_MINCHO, "𠮷𠮷"), (MINCHO, "田")]
    assert font_runs("") == []


@pytest.mark.parametrize(
    ("text", "code_point"), [("\ue000", "U+E000"), ("山\U000f0001", "U+F0001"), ("a\tb", "U+0009")]
)
def test_a_character_neither_font_has_is_refused_by_code_point(text: str, code_point: str) -> None:
    with pytest.raises(DomainError) as raised:
        font_runs(text)
    assert raised.value.code == "CERTIFICATE_GLYPH_MISSING"
    assert raised.value.detail == code_point
    assert raised.value.spec.http_status == 422


def test_missing_characters_still_reports_against_the_primary_font() -> None:
    assert fonts.missing_characters("𠮷田") == ["𠮷"]
    assert fonts.missing_characters("𠮷田", FALLBACK_MINCHO) == []


def test_a_missing_fallback_font_names_the_build_step(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fonts.fallback_mincho.cache_clear()
    monkeypatch.setattr(fonts, "FALLBACK_MINCHO_FILE", tmp_path / "ipamjm.ttf")
    try:
        with pytest.raises(FontNotInstalledError, match=r"python -m infra\.fonts"):
            fonts.fallback_mincho()
    finally:
        fonts.fallback_mincho.cache_clear()
