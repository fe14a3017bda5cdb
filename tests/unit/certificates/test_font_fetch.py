"""The build-time fetch of IPAmj明朝, on a tiny synthetic .deb built here (no network)."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from infra import fonts
from infra.fonts import DebFont, FontFetchError, ar_members, deb_files, ensure_font

FONT = b"\x00\x01\x00\x00 a pretend TrueType font"
LICENCE = "IPA Font License Agreement v1.0\nIPAフォントライセンスv1.0\n".encode()
FONT_MEMBER = "usr/share/fonts/truetype/ipamj/ipamjm.ttf"
LICENCE_MEMBER = "usr/share/doc/fonts-ipamj-mincho/IPA_Font_License_Agreement_v1.0.txt.gz"


def ar_member(name: str, body: bytes, *, bsd: bool = False) -> bytes:
    if bsd:  # BSD ar: "#1/<length>" and the name in front of the content
        header_name, body = f"#1/{len(name)}", name.encode() + body
    else:  # GNU ar (what dpkg-deb writes): the name, possibly ending with "/"
        header_name = name
    header = (f"{header_name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(body):<10}".encode() + b"`\n")
    assert len(header) == 60
    return header + body + (b"\n" if len(body) % 2 else b"")


def data_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(f"./{path}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def deb(files: dict[str, bytes] | None = None, *, data_name: str = "data.tar.xz") -> bytes:
    if files is None:
        files = {FONT_MEMBER: FONT, LICENCE_MEMBER: gzip.compress(LICENCE), "usr/share/doc/other": b"x"}
    return b"!<arch>\n" + b"".join((
        ar_member("debian-binary", b"2.0\n"),
        ar_member("control.tar.xz/", b"odd"),  # odd length: the next member starts after a pad byte
        ar_member(data_name, data_tar(files)),
    ))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pinned(package: bytes) -> DebFont:
    return replace(fonts.IPAMJ_MINCHO, url="https://deb.example.org/pool/fonts-test_1.0_all.deb",
                   deb_sha256=sha(package), font_sha256=sha(FONT))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(url: str) -> bytes:
        raise AssertionError(f"unexpected download of {url}")

    monkeypatch.setattr(fonts, "_download", refuse)


def cached(cache: Path, font: DebFont, package: bytes) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    (cache / font.url.rsplit("/", 1)[-1]).write_bytes(package)


def test_the_ar_reader_handles_padding_and_both_name_styles() -> None:
    archive = b"!<arch>\n" + ar_member("a/", b"one") + ar_member("long-member-name.tar.xz", b"two", bsd=True)
    assert list(ar_members(archive)) == [("a", b"one"), ("long-member-name.tar.xz", b"two")]


@pytest.mark.parametrize(("archive", "message"), [
    (b"PK\x03\x04 a zip", "not an ar archive"),
    (b"!<arch>\n" + ar_member("a", b"content")[:-4], "truncated"),
    (b"!<arch>\n" + b"x" * 70, "corrupt ar member header"),
])
def test_a_damaged_archive_is_refused(archive: bytes, message: str) -> None:
    with pytest.raises(FontFetchError, match=message):
        list(ar_members(archive))


def test_files_are_read_from_the_data_tarball() -> None:
    files = deb_files(deb(), [FONT_MEMBER, LICENCE_MEMBER])
    assert files[FONT_MEMBER] == FONT
    assert gzip.decompress(files[LICENCE_MEMBER]) == LICENCE


def test_a_deb_without_the_member_or_the_data_tarball_is_refused() -> None:
    with pytest.raises(FontFetchError, match="lacks usr/share/fonts"):
        deb_files(deb({LICENCE_MEMBER: b""}), [FONT_MEMBER])
    with pytest.raises(FontFetchError, match=r"no data\.tar"):
        deb_files(deb(data_name="other.tar.xz"), [FONT_MEMBER])


@pytest.mark.usefixtures("no_network")
def test_the_font_and_its_licence_are_installed_from_the_cache_once(tmp_path: Path) -> None:
    package = deb()
    font = pinned(package)
    cached(tmp_path / "cache", font, package)
    target = tmp_path / "fonts"
    target.mkdir()
    assert ensure_font(font, target, tmp_path / "cache") is True
    assert (target / "ipamjm.ttf").read_bytes() == FONT
    assert (target / "IPAmj_Font_License_Agreement_v1.0.txt").read_bytes() == LICENCE
    assert (target / "ipamjm.ttf").stat().st_mode & 0o777 == 0o644  # readable by the Lambda runtime user
    assert ensure_font(font, target, tmp_path / "cache") is False  # idempotent: already there
    assert sorted(p.name for p in target.iterdir()) == ["IPAmj_Font_License_Agreement_v1.0.txt", "ipamjm.ttf"]


def test_a_corrupt_cached_deb_is_downloaded_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = deb()
    font = pinned(package)
    cached(tmp_path / "cache", font, package[:-10])
    downloads: list[str] = []

    def download(url: str) -> bytes:
        downloads.append(url)
        return package

    monkeypatch.setattr(fonts, "_download", download)
    target = tmp_path / "fonts"
    target.mkdir()
    assert ensure_font(font, target, tmp_path / "cache")
    assert downloads == [font.url]
    assert (tmp_path / "cache" / "fonts-test_1.0_all.deb").read_bytes() == package


def test_a_download_with_the_wrong_checksum_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    font = pinned(deb())
    monkeypatch.setattr(fonts, "_download", lambda url: deb({FONT_MEMBER: b"tampered"}))
    target = tmp_path / "fonts"
    target.mkdir()
    with pytest.raises(FontFetchError, match="SHA-256 mismatch"):
        ensure_font(font, target, tmp_path / "cache")
    assert list(target.iterdir()) == []
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


@pytest.mark.usefixtures("no_network")
def test_a_font_file_other_than_the_pinned_one_is_refused(tmp_path: Path) -> None:
    package = deb({FONT_MEMBER: b"another font", LICENCE_MEMBER: gzip.compress(LICENCE)})
    font = replace(pinned(package), font_sha256=sha(FONT))
    cached(tmp_path / "cache", font, package)
    target = tmp_path / "fonts"
    target.mkdir()
    with pytest.raises(FontFetchError, match=r"ipamjm\.ttf from the \.deb has SHA-256"):
        ensure_font(font, target, tmp_path / "cache")
    assert list(target.iterdir()) == []


def test_only_https_sources_are_fetched() -> None:
    with pytest.raises(FontFetchError, match="non-HTTPS"):
        fonts._download("http://deb.debian.org/debian/pool/x.deb")


def test_the_command_reports_a_failure_and_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> bool:
        raise FontFetchError("cannot download https://deb.example.org/x.deb: offline")

    monkeypatch.setattr(fonts, "ensure_font", fail)
    assert fonts.main() == 1
    assert "cannot download" in capsys.readouterr().err


def test_the_pin_is_the_debian_package() -> None:
    pin = fonts.IPAMJ_MINCHO
    assert pin.url.startswith("https://deb.debian.org/debian/pool/main/f/fonts-ipamj-mincho/")
    assert pin.deb_sha256 == "0dd4990be8d010f13921b1bcac2f9c684e007deae17282cd07dbbfd5b2cd08cb"
    assert pin.font_member == FONT_MEMBER
    assert pin.licence_member == LICENCE_MEMBER
