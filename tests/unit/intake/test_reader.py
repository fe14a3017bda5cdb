from __future__ import annotations

import io

import pytest
from victim_support.errors import DomainError
from victim_support.intake.reader import iter_records


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
