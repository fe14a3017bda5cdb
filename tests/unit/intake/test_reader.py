from __future__ import annotations

import csv
import io

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from victim_support.errors import DomainError
from victim_support.intake import reader as reader_module
from victim_support.intake.reader import is_blank, iter_records


class ReadOnlyBody:
    """Shaped like botocore's StreamingBody: only read(n), no readinto or read1."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def test_records_carry_the_physical_line_where_they_start() -> None:
    data = 'h1,h2\r\n1,"a\r\nb"\r\n\r\n2,c\r\n'.encode("cp932")
    assert list(iter_records(io.BytesIO(data), "cp932", first_line=1)) == [
        (1, ["h1", "h2"]),
        (2, ["1", "a\r\nb"]),
        (5, ["2", "c"]),
    ]


def test_line_numbers_continue_from_the_chunk_first_line() -> None:
    assert list(iter_records(io.BytesIO(b"1,a\n\n2,b\n"), "utf-8", first_line=40)) == [
        (40, ["1", "a"]),
        (42, ["2", "b"]),
    ]


def test_blank_and_whitespace_only_lines_are_skipped() -> None:
    data = b"1,a\n   \n\t\n\n2,b\n\n"
    assert [fields for _, fields in iter_records(io.BytesIO(data), "utf-8", first_line=1)] == [
        ["1", "a"],
        ["2", "b"],
    ]


def test_any_object_with_read_works_and_is_left_open() -> None:
    body = ReadOnlyBody("氏名\n山田　太郎\n".encode("cp932"))
    assert list(iter_records(body, "cp932", first_line=1)) == [(1, ["氏名"]), (2, ["山田　太郎"])]
    assert not body.closed


def test_utf8_bom_is_not_part_of_the_first_field() -> None:
    data = "宛名番号,氏名\n".encode("utf-8-sig")
    assert next(iter_records(io.BytesIO(data), "utf-8-sig", first_line=1)) == (1, ["宛名番号", "氏名"])


def test_undecodable_bytes_fail_the_file_without_quoting_them() -> None:
    with pytest.raises(DomainError) as raised:
        list(iter_records(io.BytesIO(b"1,a\n2,\xff\xfe\n"), "utf-8", first_line=1))
    assert raised.value.code == "FILE_ENCODING_UNKNOWN"


# -- next_batch: the bulk validator's way of reading --------------------------------------------
_SHAPES = [
    'h1,h2\r\n1,"a\r\nb"\r\n\r\n2,c\r\n',
    'h1,h2\n1,a\n\n   \n2,b\n\t\n3,"x\ny\nz"\n4,d',
    'h1,h2\r1,a\r\r2,"b\rc"\r3,d\r',
    'h1,h2\r\n1,"a\r\n\r\nb",x\r\n2,"q""uote",y\n3,"\n",z\r4,e\r\n',
    "only\n\n\n",
    "\n\n",
    "",
    "1,2\r\n" * 40,
    " , \n,\n \n",
]


@pytest.mark.parametrize("text", _SHAPES)
@pytest.mark.parametrize("size", [1, 2, 3, 7, 256])
@pytest.mark.parametrize("first_line", [1, 40])
def test_next_batch_gives_what_iteration_gives(text: str, size: int, first_line: int) -> None:
    expected = list(iter_records(io.BytesIO(text.encode()), "utf-8", first_line=first_line))
    reader = iter_records(io.BytesIO(text.encode()), "utf-8", first_line=first_line)
    batched: list[tuple[int, list[str]]] = []
    while True:
        lines, rows = reader.next_batch(size)
        assert len(lines) == len(rows) <= size
        if not rows:
            break
        batched.extend(zip(lines, rows, strict=True))
    assert batched == expected
    assert reader.next_batch(size) == ((), [])


def test_iteration_and_batches_can_be_mixed() -> None:
    text = 'h\r\n1,"a\r\nb"\r\n\r\n2,c\r\n3,d\r\n4,e\r\n'
    expected = list(iter_records(io.BytesIO(text.encode()), "utf-8", first_line=1))
    reader = iter_records(io.BytesIO(text.encode()), "utf-8", first_line=1)
    first = next(reader)
    lines, rows = reader.next_batch(2)
    rest = list(reader)
    assert [first, *zip(lines, rows, strict=True), *rest] == expected


def test_records_before_undecodable_bytes_are_given_out_before_the_failure() -> None:
    data = b"1,a\n2,b\n" * 3000 + b"3,\xff\n"  # the bad byte lies beyond the first decoded block
    reader = iter_records(io.BytesIO(data), "utf-8", first_line=1)
    read: list[list[str]] = []

    def read_all() -> None:
        while rows := reader.next_batch(256)[1]:
            read.extend(rows)

    with pytest.raises(DomainError) as raised:
        read_all()
    assert raised.value.code == "FILE_ENCODING_UNKNOWN"
    assert read == [["1", "a"], ["2", "b"]] * (len(read) // 2)
    assert raised.value.detail == f"undecodable bytes after line {len(read) + 1}"
    with pytest.raises(DomainError):
        reader.next_batch(256)  # the failure stays


def test_broken_csv_fails_the_batch_path_too() -> None:
    limit = csv.field_size_limit(8)
    try:
        reader = iter_records(io.BytesIO(b"1,a\n2,bbbbbbbbbbbb\n"), "utf-8", first_line=1)
        lines, rows = reader.next_batch(256)
        assert (list(lines), rows) == ([1], [["1", "a"]])  # what came before the failure
        with pytest.raises(DomainError) as raised:
            reader.next_batch(256)
    finally:
        csv.field_size_limit(limit)
    assert raised.value.code == "FILE_NOT_CSV"
    assert raised.value.detail == "malformed CSV after line 2"


def test_a_source_with_readinto_fills_the_buffer_itself_and_is_left_open() -> None:
    source = io.BytesIO("氏名\n山田　太郎\n".encode("cp932"))
    reader = iter_records(source, "cp932", first_line=1)
    assert reader.next_batch(10) == (range(1, 3), [["氏名"], ["山田　太郎"]])
    assert not source.closed


# -- the plain split against csv.reader ----------------------------------------------------------
def _csv_records(text: str, first_line: int) -> list[tuple[int, list[str]]]:
    """What ``csv.reader`` over the text gives, with start lines and blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records, lines_before = [], 0
    for fields in reader:
        line = first_line + lines_before
        lines_before = reader.line_num
        if not is_blank(fields):
            records.append((line, fields))
    return records


_PIECES = ["a", "あ", "ｱ", ",", ",", '"', "\r\n", "\r\n", "\n", "\r", " ", "\t", "\0", "1,2,3\r\n", '"x,\r\ny"',
           "\v", "\f", "\x1c", "\x85", "\u2028"]  # the last five end a line for str.splitlines, not for csv


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), max_size=60),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
    read_size=st.sampled_from([1, 2, 3, 5, 8, 64]),
    batch_size=st.sampled_from([1, 3, 256]),
)
def test_records_are_what_csv_reader_gives(pieces: list[str], encoding: str, read_size: int, batch_size: int) -> None:
    # Tiny reads put block ends everywhere: inside multi-byte characters, between CR and LF, inside
    # quoted fields; blocks with and without quotes alternate.
    text = "".join(pieces)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # U+0085 and U+2028 have no CP932 spelling
        assume(False)
    reader = iter_records(io.BytesIO(data), encoding, first_line=7, read_size=read_size)
    records: list[tuple[int, list[str]]] = []
    while True:
        lines, fields = reader.next_batch(batch_size)
        if not fields:
            break
        records.extend(zip(lines, fields, strict=True))
    assert records == _csv_records(text, 7)


def test_a_long_plain_file_is_split_without_csv_and_quotes_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = "".join(f"{n},山田　太郎,096-286-{n:04d}\r\n" for n in range(3000))
    quoted = '1,"益城町,木山"\r\n2,"a\r\nb"\r\n'
    text = plain + quoted + plain
    read_blocks: list[str] = []
    split_plain = reader_module.RecordReader._split_plain

    def spy(block: str) -> list[str] | None:
        lines = split_plain(block)
        read_blocks.append("plain" if lines is not None else "csv")
        return lines

    monkeypatch.setattr(reader_module.RecordReader, "_split_plain", staticmethod(spy))
    assert list(iter_records(io.BytesIO(text.encode("cp932")), "cp932", first_line=1)) == _csv_records(text, 1)
    assert read_blocks.count("csv") == 1  # only the block that holds the quotes
    assert read_blocks.count("plain") >= 2


def test_a_stray_carriage_return_in_a_crlf_file_ends_a_record_as_in_csv() -> None:
    text = "1,a\r\n2,b\rc\r\n3,d\nx\r\n"
    records = list(iter_records(io.BytesIO(text.encode()), "utf-8", first_line=1))
    expected = [(1, ["1", "a"]), (2, ["2", "b"]), (3, ["c"]), (4, ["3", "d"]), (5, ["x"])]
    assert records == _csv_records(text, 1) == expected


def test_undecodable_bytes_after_plain_lines_keep_the_lines_before_them() -> None:
    data = "1,あ\n2,い\n".encode() + b"3,\xe3\x81\n4,x\n"  # line 3 breaks off inside a character
    reader = iter_records(io.BytesIO(data), "utf-8", first_line=1)
    assert reader.next_batch(10) == (range(1, 3), [["1", "あ"], ["2", "い"]])
    with pytest.raises(DomainError) as raised:
        reader.next_batch(10)
    assert raised.value.code == "FILE_ENCODING_UNKNOWN"
    assert raised.value.detail == "undecodable bytes after line 3"
