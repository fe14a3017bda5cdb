"""Records of a resident file (or of one chunk's byte range), decoded and split into fields.

The source may be a file, a ``BytesIO`` or a botocore ``StreamingBody``: anything with ``read(n)``.
Bytes are decoded a block at a time and cut at the last line end, so memory does not grow with the
file. Each block is split one of two ways, giving exactly what ``csv.reader`` over
``open(..., newline="")`` gives:

- A block with no ``"``, no line break but CR LF, LF and CR, and no line longer than csv's field
  limit is a list of lines of comma-separated fields with nothing to unquote:
  ``str.split`` splits it in C at about 70 % of ``csv.reader``'s cost (decoding, a third of a bare
  ``csv.reader`` pass, stays the same).
  Resident systems write such files; this is the common case.
- Any other block is read by one ``csv.reader`` that lives as long as the file, fed line by line, so
  a quoted field may run on into the next block. Once that reader has used up the lines it was
  given, it stands between records and the next block may take the fast path again.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import deque
from collections.abc import Iterator, Sequence
from itertools import repeat
from typing import Protocol

from victim_support.errors import DomainError

READ_BUFFER_SIZE = 1 << 16
# Where ``str.splitlines`` ends a line and csv does not.
_OTHER_LINE_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


class ReadableBytes(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def is_blank(fields: list[str]) -> bool:
    """The reader-side twin of the scan's blank line: empty, or one whitespace-only field."""
    return not fields or (len(fields) == 1 and not fields[0].strip(" \t\r"))


class RecordReader(Iterator[tuple[int, list[str]]]):
    """The records of a stream with the physical line where each starts, blank lines skipped.

    Iterating gives one ``(line, fields)`` at a time; ``next_batch`` gives many at once without a
    Python step per record (what the bulk validator uses). Both can be mixed on one reader.
    """

    def __init__(
        self, stream: ReadableBytes, encoding: str, *, first_line: int, read_size: int = READ_BUFFER_SIZE
    ) -> None:
        self._source = stream
        self._read_size = read_size
        self._plain_encoding = _PLAIN_ENCODING.get(encoding, encoding)
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._tail = ""  # decoded text after the last line end read
        self._at_end = False  # the source is used up and its text handed out
        self._line = first_line  # physical line number of the next line not yet parsed
        self._plain: list[str] = []  # the lines of a plain block (see the module); they end at _line
        self._plain_taken = 0  # how many of them were handed out
        self._lines: Sequence[int] = ()  # records csv has read, not yet handed out, and their lines
        self._records: list[list[str]] = []
        self._taken = 0  # how many of them were handed out
        self._queued: deque[str] = deque()  # lines the csv reader has still to read
        self._csv = csv.reader(self._feed())
        self._failure: DomainError | None = None  # raised once the records read before it are out
        self._undecodable = False  # the text before undecodable bytes was handed out: fail next

    def __iter__(self) -> RecordReader:
        return self

    def __next__(self) -> tuple[int, list[str]]:
        lines, records = self.next_batch(1)
        if not records:
            raise StopIteration
        return lines[0], records[0]

    def next_batch(self, size: int) -> tuple[Sequence[int], list[list[str]]]:
        """The lines and fields of the next records, at most ``size`` of them; empty only at the end.

        Plain lines are split into fields here, a batch at a time, so a batch's strings are new (and
        in the CPU cache) when the validator reads them.
        """
        while True:
            if self._plain_taken < len(self._plain):
                start = self._plain_taken
                self._plain_taken = end = min(start + size, len(self._plain))
                first = self._line - len(self._plain) + start
                lines: Sequence[int] = range(first, first + end - start)
                records = list(map(str.split, self._plain[start:end], repeat(",")))
                if min(map(len, records)) < 2:  # a record of one field may be a blank line
                    lines, records = _without_blanks(lines, records)
                if records:
                    return lines, records
            elif self._taken < len(self._records):
                start = self._taken
                self._taken = end = min(start + size, len(self._records))
                return self._lines[start:end], self._records[start:end]
            elif self._failure is not None:
                raise self._failure
            elif not self._parse_next_block():
                return (), []

    # -- blocks ----------------------------------------------------------------------------------
    def _parse_next_block(self) -> bool:
        """Take the next block: its plain lines, or the records csv reads from it; False at the end."""
        self._plain, self._plain_taken = [], 0
        self._lines, self._records, self._taken = (), [], 0
        try:
            block = self._next_block()
        except DomainError as failure:
            self._failure = failure
            return True
        if block is None:
            return False
        plain = self._split_plain(block)
        if plain is not None:
            self._plain = plain
            self._line += len(plain)
        else:
            self._queued.extend(io.StringIO(block, newline=""))
            self._read_queued()
        return True

    @staticmethod
    def _split_plain(block: str) -> list[str] | None:
        """The lines of a block that needs no csv parsing (see the module), else None."""
        if '"' in block or any(mark in block for mark in _OTHER_LINE_BREAKS):
            return None
        lines = block.splitlines()  # at CR LF, LF and CR, as the text layer under csv ends lines
        limit = csv.field_size_limit()
        if len(block) > limit and max(map(len, lines)) > limit:
            return None  # let csv raise its error
        return lines

    def _read_queued(self) -> None:
        """Records from the csv reader until it has read every queued line (it then stands between
        records); a record's start line comes from the lines the reader has read before it."""
        reader, lines, records = self._csv, [], []
        try:
            while self._queued:
                before = reader.line_num
                fields = next(reader)
                lines.append(self._line)
                records.append(fields)
                self._line += reader.line_num - before
        except (csv.Error, StopIteration):
            self._failure = DomainError("FILE_NOT_CSV", detail=f"malformed CSV after line {self._line}")
        except DomainError as failure:  # the next block, read for a quoted field, could not be decoded
            self._failure = failure
        self._lines, self._records = _without_blanks(lines, records)

    def _feed(self) -> Iterator[str]:
        """The csv reader's lines: those queued, then (for a quoted field that goes on) the next blocks."""
        while True:
            while self._queued:
                yield self._queued.popleft()
            block = self._next_block()
            if block is None:
                return
            self._queued.extend(io.StringIO(block, newline=""))

    def _next_block(self) -> str | None:
        """The next decoded text that ends at a line end (at the end of the stream, whatever is left);
        None when nothing is left. Text before undecodable bytes comes out first, then the failure."""
        if self._undecodable:
            raise DomainError("FILE_ENCODING_UNKNOWN", detail=f"undecodable bytes after line {self._line}")
        while not self._at_end:
            data = self._source.read(self._read_size)
            final = not data
            try:
                text = self._tail + self._decoder.decode(data, final)
            except UnicodeDecodeError as error:
                # error.object is what the decoder held and was given, so its text up to the bad bytes
                # decodes on its own (after any BOM, which the decoder has taken off already).
                try:
                    text = self._tail + error.object[: error.start].decode(self._plain_encoding)
                except UnicodeDecodeError:  # not the shape expected: give out nothing more
                    text = ""
                self._undecodable = final = True
                text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]  # not the line it breaks
            if final:
                self._at_end = True
                self._tail = ""
                return text or self._next_block()
            # Cut after the last LF, or after the last CR that is not the last character (an LF may
            # follow that one in the next read).
            cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
            if cut:
                self._tail = text[cut:]
                return text[:cut]
            self._tail = text
        return None


_PLAIN_ENCODING = {"utf-8-sig": "utf-8"}


def _without_blanks(lines: Sequence[int], records: list[list[str]]) -> tuple[Sequence[int], list[list[str]]]:
    kept = [index for index, fields in enumerate(records) if not is_blank(fields)]
    if len(kept) == len(records):
        return lines, records
    return [lines[index] for index in kept], [records[index] for index in kept]


def iter_records(
    stream: ReadableBytes, encoding: str, *, first_line: int, read_size: int = READ_BUFFER_SIZE
) -> RecordReader:
    """Yield (physical line number where the record starts, fields), skipping blank lines.

    ``first_line`` is the line number of the stream's first byte: 1 for a whole file, the chunk's
    ``first_line`` for a byte range. Undecodable bytes raise FILE_ENCODING_UNKNOWN and broken CSV
    (e.g. a field over csv's size limit) FILE_NOT_CSV, both with the line number and never the
    content. Records read before the failure are given out first. ``read_size`` is how many bytes
    are read (and decoded) at a time.
    """
    return RecordReader(stream, encoding, first_line=first_line, read_size=read_size)
