"""The intake worker's data path over one file, for its peak RSS: scan (size, SHA-256, encoding,
chunk boundaries), then every chunk read by byte range, validated and written through the bulk writer
to a DynamoDB client whose network is stubbed. Run in a fresh process per file size:

    .venv/bin/python -m tests.bench.worker_rss FILE MUNICIPALITY_CODE
"""

from __future__ import annotations

import io
import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.config import Config
from victim_support.dynamo.writer import BulkWriter
from victim_support.intake.headers import map_headers
from victim_support.intake.pipeline import row_item
from victim_support.intake.reader import iter_records
from victim_support.intake.rows import RowValidator
from victim_support.intake.scan import scan_file
from victim_support.residents.repository import partition
from victim_support.rules.postal import get_postal_directory

from tests.bench.writer_bench import _ok_response, _session


class RangeReader(io.RawIOBase):
    """A byte range of a file, read the way the chunk worker reads an S3 Range GET."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self._handle = path.open("rb")
        self._handle.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        data = self._handle.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()


def run(path: Path, code: str, chunk_rows: int = 20_000) -> dict[str, float]:
    client = _session().client("dynamodb", config=Config(parameter_validation=False))
    client.meta.events.register("before-send.dynamodb.BatchWriteItem", _ok_response)
    postal = get_postal_directory()
    start = time.perf_counter()
    with path.open("rb") as handle:
        scan = scan_file(handle, chunk_rows=chunk_rows)
    header_map = map_headers(scan.header, "full")
    encoding = "utf-8" if scan.encoding == "utf-8-sig" else scan.encoding
    counts = {"stored": 0, "rejected": 0}

    def items(reader: RangeReader, first_line: int) -> Iterator[dict[str, Any]]:
        # Streams like the chunk worker: rows become items as the writer asks for them.
        # The worker's own path: column-wise batches of tuples, items built straight from them.
        validator = RowValidator(header_map, "full", code, postal)
        pk = partition(code, 1)
        for lines, rows, _issues in validator.validate_batches(iter_records(reader, encoding, first_line=first_line)):
            for line, row in zip(lines, rows, strict=True):
                if row is None:
                    counts["rejected"] += 1
                    continue
                counts["stored"] += 1
                yield row_item(pk, row, upload_id="bench", line=line, now="2026-11-26T00:00:00Z")

    for chunk in scan.chunks:
        reader = RangeReader(path, chunk.byte_start, chunk.byte_end)
        BulkWriter(client, "residents").put_items(items(reader, chunk.first_line))
        reader.close()
    stored, rejected = counts["stored"], counts["rejected"]
    seconds = time.perf_counter() - start
    peak_kib = _peak_rss_kib()
    return {
        "rows": float(scan.records),
        "stored": float(stored),
        "rejected": float(rejected),
        "seconds": seconds,
        "rows_per_s": scan.records / seconds,
        "peak_rss_mib": peak_kib / 1024,
    }


def _peak_rss_kib() -> int:
    """This process's own peak RSS. ``ru_maxrss`` is not that: a child started by a large parent keeps
    the parent's peak (Linux carries it across the exec), so Linux's VmHWM of this process's memory
    map is read instead where there is one."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), sys.argv[2])))
