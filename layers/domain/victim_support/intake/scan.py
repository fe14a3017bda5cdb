"""One streaming pass over an uploaded resident file, before any row is parsed.

The pass computes what the intake worker needs to accept the upload and fan it out: size and SHA-256
(checked against what the uploader declared), the encoding, the header, and chunk boundaries that
each hold ``chunk_rows`` records and always fall between records, so chunk workers can read their
byte range with an S3 ranged GET and parse it on their own.

Rules this module decides:
- A file is **empty** (FILE_EMPTY) when it holds zero data records: no bytes, only blank lines, or
  a header and nothing else.
- A blank line (only spaces, tabs and CR, or a lone empty quoted field) outside a quoted field is
  not a record, wherever it is; ``reader.iter_records`` skips exactly the same lines.
- Lines end with LF or CRLF. NUL and other C0 control bytes (except TAB, LF, CR) mean the file is
  not text: FILE_NOT_CSV. ESC or a UTF-16 byte order mark mean a text encoding that is not
  accepted: FILE_ENCODING_UNKNOWN.

Records are found at byte level, with no decoding: in CP932 a trail byte is 0x40-0x7E or 0x80-0xFC,
so the bytes ``"`` (0x22), LF (0x0A), CR (0x0D) and every other control byte never occur inside a
multi-byte character, and in UTF-8 every byte of a multi-byte character is >= 0x80. Counting ``"``
per physical line therefore tracks RFC 4180 quote state exactly in all three accepted encodings.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from victim_support.errors import DomainError

Encoding = Literal["utf-8-sig", "utf-8", "cp932"]

BLOCK_SIZE = 1 << 16
# A physical line longer than this cannot be a resident record (csv's own field limit is 128 KiB);
# the cap keeps the scan's memory bounded whatever the upload holds.
MAX_LINE_BYTES = 1 << 20

_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")
_ESCAPE = b"\x1b"  # ISO-2022-JP (JIS) text: an encoding we do not accept, not binary
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BLANK_LINE = re.compile(rb'(?:"[ \t]*")?[ \t\r]*')
_MAYBE_BLANK_START = frozenset(b' \t\r"')


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    byte_start: int  # inclusive; the first chunk starts where the data starts
    byte_end: int  # exclusive; equals the next chunk's byte_start, the last one the file size
    first_line: int  # physical line number (1-based, header included) at byte_start
    rows: int  # data records in [byte_start, byte_end)


@dataclass(frozen=True, slots=True)
class FileScan:
    size: int
    sha256: str
    encoding: Encoding
    header: list[str]
    header_line: int
    data_start: int  # byte offset just after the header record
    records: int
    chunks: list[Chunk] = field(default_factory=list)


class _EncodingProbe:
    """Runs the UTF-8 and CP932 incremental decoders over the whole stream, dropping their output."""

    def __init__(self) -> None:
        self._utf8: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
        self._cp932: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("cp932")()
        self.starts_with_bom = False
        self._seen_first_block = False

    def feed(self, block: bytes, *, final: bool = False) -> None:
        if not self._seen_first_block and block:
            self._seen_first_block = True
            self.starts_with_bom = block.startswith(codecs.BOM_UTF8)
        if self._utf8 is not None:
            try:
                self._utf8.decode(block, final)
            except UnicodeDecodeError:
                self._utf8 = None
        if self._cp932 is not None:
            try:
                self._cp932.decode(block, final)
            except UnicodeDecodeError:
                self._cp932 = None

    def verdict(self) -> Encoding:
        if self._utf8 is not None:
            return "utf-8-sig" if self.starts_with_bom else "utf-8"
        if self._cp932 is not None:
            return "cp932"
        raise DomainError("FILE_ENCODING_UNKNOWN")


class _RecordCounter:
    """Tracks record boundaries line by line and cuts chunks every ``chunk_rows`` data records."""

    def __init__(self, chunk_rows: int) -> None:
        self.chunk_rows = chunk_rows
        self.line_no = 1  # physical line being processed
        self.line_start = 0  # byte offset of that line
        self.in_record = False
        self.in_quotes = False
        self.header_bytes: bytearray | None = None  # collected until the header record ends
        self.header_done = False
        self.header_line = 0
        self.data_start = 0
        self.records = 0
        self.chunks: list[Chunk] = []
        self._chunk_start = 0
        self._chunk_first_line = 0
        self._chunk_rows_so_far = 0

    def line(self, line: bytes, terminated: bool) -> None:
        quotes = line.count(b'"')
        if not self.in_record:
            if not line or (line[0] in _MAYBE_BLANK_START and _BLANK_LINE.fullmatch(line)):
                self._advance(line, terminated)
                return
            self.in_record = True
            self.in_quotes = bool(quotes & 1)
            if not self.header_done:
                self.header_line = self.line_no
                self.header_bytes = bytearray()
        elif quotes & 1:
            self.in_quotes = not self.in_quotes
        if self.header_bytes is not None and not self.header_done:
            if len(self.header_bytes) + len(line) > MAX_LINE_BYTES:
                raise DomainError("FILE_NOT_CSV", detail="header too long")
            self.header_bytes += line + b"\n"
        end = self._advance(line, terminated)
        if not self.in_quotes:
            self.in_record = False
            self._record_ended(end)

    def _advance(self, line: bytes, terminated: bool) -> int:
        end = self.line_start + len(line) + (1 if terminated else 0)
        self.line_start = end
        self.line_no += 1
        return end

    def _record_ended(self, end: int) -> None:
        if not self.header_done:
            self.header_done = True
            self.data_start = end
            self._chunk_start = end
            self._chunk_first_line = self.line_no
            return
        self.records += 1
        self._chunk_rows_so_far += 1
        if self._chunk_rows_so_far == self.chunk_rows:
            self._cut(end)

    def _cut(self, end: int) -> None:
        self.chunks.append(
            Chunk(len(self.chunks), self._chunk_start, end, self._chunk_first_line, self._chunk_rows_so_far)
        )
        self._chunk_start = end
        self._chunk_first_line = self.line_no
        self._chunk_rows_so_far = 0

    def finish(self, size: int) -> None:
        if self.in_quotes:
            raise DomainError("FILE_NOT_CSV", detail=f"unterminated quoted field from line {self.line_no - 1}")
        if self._chunk_rows_so_far:
            self._cut(size)
        elif self.chunks and self.chunks[-1].byte_end != size:
            # Trailing blank lines belong to the last chunk so the chunks cover the file exactly.
            last = self.chunks[-1]
            self.chunks[-1] = Chunk(last.index, last.byte_start, size, last.first_line, last.rows)


def scan_file(stream: BinaryIO, *, chunk_rows: int) -> FileScan:
    """Read the stream once in fixed-size blocks; memory stays flat whatever the file size."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    digest = hashlib.sha256()
    probe = _EncodingProbe()
    counter = _RecordCounter(chunk_rows)
    size = 0
    carry = b""  # the unterminated tail of the previous block: at most one partial line
    while block := stream.read(BLOCK_SIZE):
        if size == 0 and block.startswith(_UTF16_BOMS):
            raise DomainError("FILE_ENCODING_UNKNOWN", detail="UTF-16 is not accepted")
        if _BINARY_BYTES.search(block) is not None:
            raise DomainError("FILE_NOT_CSV", detail="binary content")
        if _ESCAPE in block:
            raise DomainError("FILE_ENCODING_UNKNOWN", detail="ISO-2022-JP is not accepted")
        size += len(block)
        digest.update(block)
        probe.feed(block)
        lines = (carry + block).split(b"\n") if carry else block.split(b"\n")
        carry = lines.pop()
        if len(carry) > MAX_LINE_BYTES:
            raise DomainError("FILE_NOT_CSV", detail="line too long")
        for line in lines:
            counter.line(line, terminated=True)
    if size == 0:
        raise DomainError("FILE_EMPTY")
    probe.feed(b"", final=True)
    if carry:
        counter.line(carry, terminated=False)
    encoding = probe.verdict()
    counter.finish(size)
    if counter.header_bytes is None or counter.records == 0:
        raise DomainError("FILE_EMPTY", detail="no data records")
    return FileScan(
        size=size,
        sha256=digest.hexdigest(),
        encoding=encoding,
        header=_decode_header(bytes(counter.header_bytes), encoding),
        header_line=counter.header_line,
        data_start=counter.data_start,
        records=counter.records,
        chunks=counter.chunks,
    )


def _decode_header(raw: bytes, encoding: Encoding) -> list[str]:
    text = raw.decode(encoding)
    return next(csv.reader(io.StringIO(text, newline="")), [])
