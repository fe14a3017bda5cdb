from __future__ import annotations

import codecs
import csv
import hashlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from victim_support.errors import DomainError
from victim_support.intake.reader import iter_records
from victim_support.intake.scan import FileScan, scan_file

HEADER = "宛名番号,氏名,住所"


def _scan(data: bytes, chunk_rows: int = 2) -> FileScan:
    return scan_file(io.BytesIO(data), chunk_rows=chunk_rows)


def _file(rows: list[str], newline: str = "\r\n", header: str = HEADER) -> str:
    return newline.join([header, *rows]) + newline


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (_file(["1,山田　太郎,益城町"]).encode("cp932"), "cp932"),
        (_file(["1,山田　太郎,益城町"]).encode("utf-8"), "utf-8"),
        (_file(["1,山田　太郎,益城町"]).encode("utf-8-sig"), "utf-8-sig"),
        (_file(["1,yamada,mashiki"], header="person_id,name,address").encode("ascii"), "utf-8"),
    ],
)
def test_encoding_is_detected_over_the_whole_file(encoded: bytes, encoding: str) -> None:
    scan = _scan(encoded)
    assert scan.encoding == encoding
    assert scan.records == 1
    assert len(scan.header) == 3


def test_cp932_bytes_late_in_an_otherwise_ascii_file_choose_cp932() -> None:
    rows = [f"{n},yamada,mashiki" for n in range(5000)] + ["9999,山田,益城町"]
    scan = _scan(_file(rows).encode("cp932"), chunk_rows=1000)
    assert scan.encoding == "cp932"
    assert scan.records == 5001


def test_size_and_sha256_cover_every_byte() -> None:
    data = _file(["1,山田　太郎,益城町"]).encode("cp932")
    scan = _scan(data)
    assert scan.size == len(data)
    assert scan.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_crlf_and_lf_files_give_the_same_records(newline: str) -> None:
    scan = _scan(_file(["1,a,b", "2,c,d", "3,e,f"], newline).encode(), chunk_rows=2)
    assert scan.records == 3
    assert [chunk.rows for chunk in scan.chunks] == [2, 1]
    assert scan.header_line == 1
    assert scan.chunks[0].first_line == 2
    assert scan.chunks[1].first_line == 4


def test_quoted_newlines_and_commas_never_split_a_record_across_chunks() -> None:
    rows = ['1,"山田\r\n太郎","益城町,宮園"', '2,"a ""quoted""\r\nline\r\nthree",x', "3,c,d", '4,"e\r\n",f']
    data = _file(rows).encode("cp932")
    scan = _scan(data, chunk_rows=1)
    assert scan.records == 4
    assert [chunk.first_line for chunk in scan.chunks] == [2, 4, 7, 8]
    for chunk in scan.chunks:
        part = data[chunk.byte_start : chunk.byte_end]
        records = list(iter_records(io.BytesIO(part), "cp932", first_line=chunk.first_line))
        assert len(records) == chunk.rows == 1
        assert records[0][0] == chunk.first_line


def test_chunks_cover_the_data_exactly_and_sum_to_the_record_count() -> None:
    data = _file([f"{n},a,b" for n in range(10)] + ["", ""]).encode()
    scan = _scan(data, chunk_rows=3)
    assert scan.chunks[0].byte_start == scan.data_start
    assert scan.chunks[-1].byte_end == scan.size
    for earlier, later in zip(scan.chunks, scan.chunks[1:], strict=False):
        assert earlier.byte_end == later.byte_start
    assert sum(chunk.rows for chunk in scan.chunks) == scan.records == 10
    assert [chunk.index for chunk in scan.chunks] == [0, 1, 2, 3]


def test_blank_lines_are_not_records_anywhere() -> None:
    data = _file(["", "1,a,b", "   ", "", "2,c,d", '""', "", ""]).encode()
    assert _scan(data).records == 2


def test_last_record_without_a_newline_is_counted() -> None:
    data = (HEADER + "\n1,a,b\n2,c,d").encode()
    scan = _scan(data, chunk_rows=10)
    assert scan.records == 2
    assert scan.chunks[-1].byte_end == len(data)


@pytest.mark.parametrize(
    "data",
    [b"", b"\r\n\r\n", HEADER.encode("cp932"), (HEADER + "\r\n\r\n  \r\n").encode("cp932"), codecs.BOM_UTF8],
)
def test_a_file_without_data_records_is_empty(data: bytes) -> None:
    with pytest.raises(DomainError) as raised:
        _scan(data)
    assert raised.value.code == "FILE_EMPTY"


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04\x14\x00\x06\x00", b"%PDF-1.7\n\x00\x01", (HEADER + "\n1,a\x00,b\n").encode()],
)
def test_binary_content_is_not_csv(data: bytes) -> None:
    with pytest.raises(DomainError) as raised:
        _scan(data)
    assert raised.value.code == "FILE_NOT_CSV"


def test_an_unterminated_quote_is_not_csv() -> None:
    with pytest.raises(DomainError) as raised:
        _scan((HEADER + '\n1,"a,b\n2,c,d\n').encode())
    assert raised.value.code == "FILE_NOT_CSV"


@pytest.mark.parametrize(
    "data",
    [
        b"\x81\x39\x81\x39\n\x81\x39,x\n",  # neither UTF-8 nor CP932
        _file(["1,山田,益城町"]).encode("utf-16"),
        _file(["1,山田,益城町"]).encode("iso2022_jp"),
    ],
)
def test_other_encodings_are_refused(data: bytes) -> None:
    with pytest.raises(DomainError) as raised:
        _scan(data)
    assert raised.value.code == "FILE_ENCODING_UNKNOWN"


def test_header_fields_are_decoded_and_the_data_start_follows_the_header() -> None:
    data = _file(["1,a,b"]).encode("utf-8-sig")
    scan = _scan(data)
    assert scan.header == ["宛名番号", "氏名", "住所"]
    assert data[scan.data_start :].startswith(b"1,a,b")


def test_scan_reads_in_blocks_and_never_the_whole_stream() -> None:
    class CountingStream(io.BytesIO):
        largest = 0

        def read(self, size: int | None = -1) -> bytes:
            assert size is not None and size > 0
            CountingStream.largest = max(CountingStream.largest, size)
            return super().read(size)

    data = _file([f"{n},山田,益城町" for n in range(20000)]).encode("cp932")
    scan = scan_file(CountingStream(data), chunk_rows=5000)
    assert scan.records == 20000
    assert CountingStream.largest < len(data)


_field = st.text(alphabet=st.sampled_from('ab山,"\n '), max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(st.lists(_field, min_size=3, max_size=3), min_size=1, max_size=25),
    chunk_rows=st.integers(min_value=1, max_value=7),
    newline=st.sampled_from(["\r\n", "\n"]),
)
def test_chunks_partition_the_file_and_read_back_the_same_records(
    records: list[list[str]], chunk_rows: int, newline: str
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows([HEADER.split(","), *records])
    data = buffer.getvalue().encode("cp932")
    scan = _scan(data, chunk_rows=chunk_rows)
    assert scan.records == len(records)
    assert scan.chunks[0].byte_start == scan.data_start
    assert scan.chunks[-1].byte_end == len(data)
    assert all(a.byte_end == b.byte_start for a, b in zip(scan.chunks, scan.chunks[1:], strict=False))
    whole = list(iter_records(io.BytesIO(data), "cp932", first_line=1))[1:]
    pieces = []
    for chunk in scan.chunks:
        part = io.BytesIO(data[chunk.byte_start : chunk.byte_end])
        chunk_records = list(iter_records(part, "cp932", first_line=chunk.first_line))
        assert len(chunk_records) == chunk.rows
        pieces.extend(chunk_records)
    assert pieces == whole
    assert [fields for _, fields in whole] == records
