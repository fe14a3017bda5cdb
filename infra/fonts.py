"""Build-time fetch of the fallback mincho font (IPAmj明朝) into the domain package.

IPAmj明朝 covers the 文字情報基盤 character set (e.g. 𠮷 U+20BB7, which IPAex明朝 lacks), so
certificates can print residents' names as registered. At 46 MB it is not committed: this module
takes it from Debian's ``fonts-ipamj-mincho`` package, pinned by version and SHA-256, and writes

* ``layers/domain/victim_support/fonts/ipamjm.ttf`` and
* ``layers/domain/victim_support/fonts/IPAmj_Font_License_Agreement_v1.0.txt`` (IPA Font License v1.0,
  which allows redistribution, so the font ships inside the domain layer with its licence).

``python -m infra.fonts`` is idempotent: it does nothing when the font with the expected SHA-256 is
present. The downloaded ``.deb`` is kept in ``$XDG_CACHE_HOME/victim-support`` (default
``~/.cache/victim-support``) so new clones on the same machine do not download it again. Any
mismatch (download, cached file or extracted font) refuses loudly: nothing unverified is written.

A ``.deb`` is an ``ar`` archive whose ``data.tar.xz`` member holds the files; both are read with
the standard library only (no ``dpkg``, ``ar`` or ``tar`` needed on the build machine).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FONT_DIR = ROOT / "layers" / "domain" / "victim_support" / "fonts"


@dataclass(frozen=True)
class DebFont:
    url: str
    deb_sha256: str
    font_member: str
    font_file: str
    font_sha256: str
    licence_member: str  # gzipped in the package
    licence_file: str


IPAMJ_MINCHO = DebFont(
    url="https://deb.debian.org/debian/pool/main/f/fonts-ipamj-mincho/fonts-ipamj-mincho_005.01-2.1_all.deb",
    deb_sha256="0dd4990be8d010f13921b1bcac2f9c684e007deae17282cd07dbbfd5b2cd08cb",
    font_member="usr/share/fonts/truetype/ipamj/ipamjm.ttf",
    font_file="ipamjm.ttf",
    font_sha256="75268aa9ac2d92080048196af08adee37f1c286cf4b7777ed5ac3722a8737f5f",
    licence_member="usr/share/doc/fonts-ipamj-mincho/IPA_Font_License_Agreement_v1.0.txt.gz",
    licence_file="IPAmj_Font_License_Agreement_v1.0.txt",
)

_AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60
_DOWNLOAD_TIMEOUT_S = 120


class FontFetchError(RuntimeError):
    """The fallback font could not be fetched or did not verify."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "victim-support"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ar_members(archive: bytes) -> Iterator[tuple[str, bytes]]:
    """(name, content) of each member of a Unix ``ar`` archive (the container format of ``.deb``)."""
    if not archive.startswith(_AR_MAGIC):
        raise FontFetchError("not an ar archive (a .deb starts with '!<arch>')")
    offset = len(_AR_MAGIC)
    while offset < len(archive):
        header = archive[offset:offset + _AR_HEADER]
        if len(header) < _AR_HEADER or header[58:60] != b"`\n":
            raise FontFetchError(f"corrupt ar member header at byte {offset}")
        name = header[0:16].decode("ascii").rstrip()
        try:
            size = int(header[48:58].decode("ascii"))
        except ValueError as exc:
            raise FontFetchError(f"corrupt ar member size at byte {offset}") from exc
        start = offset + _AR_HEADER
        if start + size > len(archive):
            raise FontFetchError(f"ar member {name!r} is truncated")
        body = archive[start:start + size]
        if name.startswith("#1/"):  # BSD long name: stored in front of the content
            name_length = int(name[3:])
            name, body = body[:name_length].decode("utf-8").rstrip("\0"), body[name_length:]
        yield name.removesuffix("/"), body  # GNU ar ends names with '/'
        offset = start + size + (size % 2)  # members are aligned to even offsets


def deb_files(deb: bytes, members: Iterable[str]) -> dict[str, bytes]:
    """The named files from a ``.deb``'s ``data.tar.*``: ``{member path: content}``.

    Paths are given without the leading ``./`` that dpkg-deb writes; every one must be present.
    """
    data = next((body for name, body in ar_members(deb) if name.startswith("data.tar")), None)
    if data is None:
        raise FontFetchError("the .deb has no data.tar member")
    wanted = set(members)
    found: dict[str, bytes] = {}
    # "r:*" reads xz (Debian's default), gzip and bzip2; the stdlib has no zstd in Python 3.11.
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        for info in tar:
            path = info.name.removeprefix("./")
            if path in wanted and info.isfile():
                extracted = tar.extractfile(info)
                if extracted is None:
                    raise FontFetchError(f"cannot read {path} from the .deb")
                found[path] = extracted.read()
    missing = sorted(wanted - found.keys())
    if missing:
        raise FontFetchError(f"the .deb lacks {', '.join(missing)}")
    return found


def _download(url: str) -> bytes:
    if not url.startswith("https://"):
        raise FontFetchError(f"refusing a non-HTTPS font source: {url}")
    try:
        with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:  # noqa: S310 (https only)
            data: bytes = response.read()
    except OSError as exc:
        raise FontFetchError(f"cannot download {url}: {exc}") from exc
    return data


def fetch_deb(font: DebFont, cache: Path) -> bytes:
    """The verified ``.deb``, from the cache or downloaded into it."""
    cached = cache / font.url.rsplit("/", 1)[-1]
    if cached.is_file():
        data = cached.read_bytes()
        if sha256(data) == font.deb_sha256:
            return data
        cached.unlink()  # a partial or tampered file: fetch again rather than trust it
    data = _download(font.url)
    actual = sha256(data)
    if actual != font.deb_sha256:
        raise FontFetchError(
            f"SHA-256 mismatch for {font.url}: expected {font.deb_sha256}, got {actual}; refusing to use it"
        )
    _write_atomic(cached, data)
    return data


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}-", delete=False) as tmp:
        staging = Path(tmp.name)
        try:
            tmp.write(data)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
    # mkstemp creates 0600; the Lambda runtime user must be able to read what the layer ships.
    staging.chmod(0o644)
    staging.replace(path)


def is_installed(font: DebFont = IPAMJ_MINCHO, target: Path = FONT_DIR) -> bool:
    font_path = target / font.font_file
    return (
        font_path.is_file()
        and (target / font.licence_file).is_file()
        and sha256(font_path.read_bytes()) == font.font_sha256
    )


def ensure_font(font: DebFont = IPAMJ_MINCHO, target: Path = FONT_DIR, cache: Path | None = None) -> bool:
    """Install the font and its licence into ``target``; False when they were already there."""
    if is_installed(font, target):
        return False
    files = deb_files(fetch_deb(font, cache or cache_dir()), (font.font_member, font.licence_member))
    ttf = files[font.font_member]
    actual = sha256(ttf)
    if actual != font.font_sha256:
        raise FontFetchError(f"{font.font_file} from the .deb has SHA-256 {actual}, expected {font.font_sha256}")
    _write_atomic(target / font.licence_file, gzip.decompress(files[font.licence_member]))
    _write_atomic(target / font.font_file, ttf)  # last: its presence marks a complete install
    return True


def main() -> int:
    try:
        fetched = ensure_font()
    except FontFetchError as exc:
        print(f"infra.fonts: {exc}", file=sys.stderr)
        return 1
    state = "fetched" if fetched else "already present"
    print(f"infra.fonts: {IPAMJ_MINCHO.font_file} {state} in {FONT_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
