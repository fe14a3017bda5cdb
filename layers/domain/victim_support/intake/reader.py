"""Records of a resident file (or of one chunk's byte range), decoded and split by ``csv``.

The source may be a file, a ``BytesIO`` or a botocore ``StreamingBody``: anything with ``read(n)``.
Text is decoded and parsed block by block, so memory does not grow with the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from itertools import accumulate, islice
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
        # A file, a BytesIO or a botocore StreamingBody fills the buffer itself: no copy.
        source_readinto = getattr(source, "readinto", None)
        if callable(source_readinto):
            self.readinto = source_readinto  # type: ignore[method-assign]

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


def _lines_spanned(fields: list[str]) -> int:
    """Physical lines a record spans: one, plus one per line break inside its (quoted) fields.

    With ``newline=""`` the text layer ends a line at every CR LF, CR or LF, and ``csv``
    keeps the line breaks of a quoted field in the field's value, so they can be counted there.
    """
    return 1 + sum(field.count("\r") + field.count("\n") - field.count("\r\n") for field in fields)


class RecordReader(Iterator[tuple[int, list[str]]]):
    """The records of a stream with the physical line where each starts, blank lines skipped.

    Iterating gives one ``(line, fields)`` at a time; ``next_batch`` gives many at once without a
    Python step per record (what the bulk validator uses). Both can be mixed on one reader.
    """

    def __init__(self, stream: ReadableBytes, encoding: str, *, first_line: int) -> None:
        self._reader = csv.reader(open_text(stream, encoding))
        self._first_line = first_line
        self._lines_before = 0  # lines read before the next record
        self._failure: DomainError | None = None  # raised once the records read before it are out

    def __iter__(self) -> RecordReader:
        return self

    def __next__(self) -> tuple[int, list[str]]:
        if self._failure is not None:
            raise self._failure
        reader = self._reader
        try:
            for fields in reader:
                line = self._first_line + self._lines_before
                self._lines_before = reader.line_num
                if fields and (len(fields) > 1 or not is_blank(fields)):
                    return line, fields
        except (UnicodeDecodeError, csv.Error) as error:
            raise self._failed(error) from None
        raise StopIteration

    def next_batch(self, size: int) -> tuple[Sequence[int], list[list[str]]]:
        """The lines and fields of the next records, at most ``size`` of them; empty only at the end.

        When every record of the batch sits on one line (the common case) the line numbers are a
        ``range`` and nothing is done per record; otherwise each record's span is counted.
        """
        while True:
            if self._failure is not None:
                raise self._failure
            rows: list[list[str]] = []
            lines_before = self._lines_before
            try:
                rows.extend(islice(self._reader, size))  # on an error, rows keeps what was read before it
            except (UnicodeDecodeError, csv.Error) as error:
                self._lines_before = lines_before + sum(map(_lines_spanned, rows))
                self._failure = self._failed(error)
                if not rows:
                    raise self._failure from None
            else:
                self._lines_before = self._reader.line_num
            if not rows:
                return (), rows
            start = self._first_line + lines_before
            lines: Sequence[int]
            if self._lines_before - lines_before == len(rows):
                lines = range(start, start + len(rows))
            else:
                lines = list(accumulate(map(_lines_spanned, rows[:-1]), initial=start))
            if min(map(len, rows)) < 2:  # a record of at most one field may be a blank line
                kept = [index for index, fields in enumerate(rows) if not is_blank(fields)]
                if len(kept) < len(rows):
                    lines = [lines[index] for index in kept]
                    rows = [rows[index] for index in kept]
                    if not rows:
                        continue
            return lines, rows

    def _failed(self, error: Exception) -> DomainError:
        after = f"after line {self._first_line + self._lines_before}"
        if isinstance(error, UnicodeDecodeError):
            return DomainError("FILE_ENCODING_UNKNOWN", detail=f"undecodable bytes {after}")
        return DomainError("FILE_NOT_CSV", detail=f"malformed CSV {after}")


def iter_records(stream: ReadableBytes, encoding: str, *, first_line: int) -> RecordReader:
    """Yield (physical line number where the record starts, fields), skipping blank lines.

    ``first_line`` is the line number of the stream's first byte: 1 for a whole file, the chunk's
    ``first_line`` for a byte range. Undecodable bytes raise FILE_ENCODING_UNKNOWN and broken CSV
    (e.g. an unterminated quote) FILE_NOT_CSV, both with the line number and never the content.
    Records read before the failure are given out first.
    """
    return RecordReader(stream, encoding, first_line=first_line)
