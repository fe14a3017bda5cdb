"""Records of a resident file (or of one chunk's byte range), decoded and split by ``csv``.

The source may be a file, a ``BytesIO`` or a botocore ``StreamingBody``: anything with ``read(n)``.
Text is decoded and parsed block by block, so memory does not grow with the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Protocol

from victim_support.errors import DomainError

READ_BUFFER_SIZE = 1 << 16


class ReadableBytes(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class _RawAdapter(io.RawIOBase):
    """Lets ``io.BufferedReader``/``io.TextIOWrapper`` sit on any object with ``read(n)``.

    Closing the adapter (which TextIOWrapper does when collected) leaves the source open: the caller
    owns it.
    """

    def __init__(self, source: ReadableBytes) -> None:
        super().__init__()
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._source.read(len(buffer))
        size = len(data)
        memoryview(buffer).cast("B")[:size] = data
        return size


def open_text(stream: ReadableBytes, encoding: str) -> io.TextIOWrapper:
    """A text view that keeps line endings untouched (``newline=""``), as ``csv`` requires."""
    buffered = io.BufferedReader(_RawAdapter(stream), buffer_size=READ_BUFFER_SIZE)
    return io.TextIOWrapper(buffered, encoding=encoding, errors="strict", newline="")


def is_blank(fields: list[str]) -> bool:
    """The reader-side twin of the scan's blank line: empty, or one whitespace-only field."""
    return not fields or (len(fields) == 1 and not fields[0].strip(" \t\r"))


def iter_records(stream: ReadableBytes, encoding: str, *, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """Yield (physical line number where the record starts, fields), skipping blank lines.

    ``first_line`` is the line number of the stream's first byte: 1 for a whole file, the chunk's
    ``first_line`` for a byte range. Undecodable bytes raise FILE_ENCODING_UNKNOWN and broken CSV
    (e.g. an unterminated quote) FILE_NOT_CSV, both with the line number and never the content.
    """
    reader = csv.reader(open_text(stream, encoding))
    lines_before = 0
    try:
        for fields in reader:
            line = first_line + lines_before
            lines_before = reader.line_num
            if fields and (len(fields) > 1 or not is_blank(fields)):
                yield line, fields
    except UnicodeDecodeError:
        raise DomainError(
            "FILE_ENCODING_UNKNOWN", detail=f"undecodable bytes after line {first_line + lines_before}"
        ) from None
    except csv.Error:
        raise DomainError("FILE_NOT_CSV", detail=f"malformed CSV after line {first_line + lines_before}") from None
