"""``make bench-intake``: the upload intake's figures, printed and saved to bench-out/intake.json.

For 100,000 and 1,000,000 synthetic rows (CP932, 2 % bad rows):
  * validation rows/s (alone, and with the reading) beside a bare csv.reader pass over the same file,
    and their ratios; on the first size, the two reference validators the target is set against, measured the same way;
  * the worker's peak RSS (a fresh process per size: it must not grow with the file).
Once, for 100,000 items: the bulk writer's client-side items/s beside boto3's Table.batch_writer(),
network stubbed. For 100,000 rows: end-to-end rows/s through the local stack (presigned PUT → S3
event → workers → DynamoDB on the moto server) and DynamoDB write requests per 1,000 rows.

    .venv/bin/python -m tests.bench.intake [--sizes 100000,1000000] [--e2e-rows 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

OUT = Path("bench-out")
MUNICIPALITY = "141003"  # 横浜市: a designated city, postal codes through its 18 wards
WRITES = {"BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}


def resident_file(rows: int) -> Path:
    from victim_support.synthetic import generate_residents, write_csv

    OUT.mkdir(exist_ok=True)
    path = OUT / f"residents-{MUNICIPALITY}-{rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_csv(path, generate_residents(rows, MUNICIPALITY, seed=11, bad_share=0.02), encoding="cp932")
        print(
            f"  generated {path} ({path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
    return path


def parse_figures(path: Path, *, references: bool) -> dict[str, float]:
    from victim_support.rules.postal import get_postal_directory

    from tests.bench.parse_bench import bench_parse, reference_ratios

    figures = bench_parse(path, MUNICIPALITY, get_postal_directory())
    if references:
        figures.update(reference_ratios(path, figures["bare_rows_per_second"]))
    return figures


def worker_figures(path: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.worker_rss", str(path), MUNICIPALITY],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def end_to_end(rows: int) -> dict[str, Any]:
    from victim_support.aws import get_clients

    from infra.local.stack import LocalStack
    from infra.local.staff_client import StaffApiClient

    path = resident_file(rows)
    calls: Counter[str] = Counter()

    def count(**kwargs: Any) -> None:
        calls[kwargs["event_name"].rsplit(".", 1)[-1]] += 1

    with LocalStack() as stack:
        operator = StaffApiClient(stack.api_url, stack.issue_token(None, groups=("operators",)))
        operator.register_municipality(
            MUNICIPALITY,
            {"population": 3_770_000, "pattern": "A", "uses_bcl_issuance_server": True, "start_month": "2026-04"},
        )
        clients = get_clients()
        for client in (clients.dynamodb, clients.dynamodb_bulk):
            client.meta.events.register("after-call.dynamodb", count)
        staff = StaffApiClient(stack.api_url, stack.issue_token(MUNICIPALITY))
        calls.clear()
        started = time.perf_counter()
        ticket = staff.request_upload(path, "full")
        staff.put_file(ticket, path)
        status = staff.wait(ticket["upload_id"], poll_s=1.0)
        seconds = time.perf_counter() - started
    writes = sum(n for op, n in calls.items() if op in WRITES)
    return {
        "rows": rows,
        "status": status["status"],
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds, 1),
        "rows_stored": status["rows_stored"],
        "write_requests": writes,
        "write_requests_per_1000_rows": round(1000 * writes / rows, 2),
        "requests_by_operation": dict(sorted(calls.items())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--e2e-rows", type=int, default=100_000)
    parser.add_argument("--writer-items", type=int, default=100_000)
    args = parser.parse_args()
    from tests.bench.writer_bench import bench_writer

    report: dict[str, Any] = {"parse": {}, "worker": {}}
    for number, size in enumerate(int(s) for s in args.sizes.split(",") if s):
        path = resident_file(size)
        report["parse"][size] = parse_figures(path, references=number == 0)
        report["worker"][size] = worker_figures(path)
    report["writer"] = bench_writer(args.writer_items)
    if args.e2e_rows:
        report["end_to_end"] = end_to_end(args.e2e_rows)
    OUT.mkdir(exist_ok=True)
    (OUT / "intake.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_report(report)
    return 0


def print_report(report: dict[str, Any]) -> None:
    print("\nvalidation vs a bare csv.reader pass (same file, same run)")
    for size, f in report["parse"].items():
        print(
            f"  {int(size):>9,} rows  csv.reader {f['bare_rows_per_second']:>10,.0f} rows/s   "
            f"validation alone {f['validation_rows_per_second']:>10,.0f} rows/s (ratio {f['validation_ratio']:.2f})   "
            f"read + validate {f['validated_rows_per_second']:>10,.0f} rows/s (ratio {f['ratio']:.2f})"
        )
        if "typed_dict_ratio" in f:
            print(
                f"  {int(f['reference_rows']):>9,} rows  references, validation alone: "
                f"TypedDict list {f['typed_dict_ratio']:.2f}, per-row BaseModel {f['base_model_ratio']:.2f}"
            )
    print("worker (scan + chunks + validate + bulk writer, network stubbed), fresh process per size")
    for size, f in report["worker"].items():
        print(f"  {int(size):>9,} rows  {f['rows_per_s']:>10,.0f} rows/s   peak RSS {f['peak_rss_mib']:.0f} MiB")
    w = report["writer"]
    print(
        f"writer, {int(w['n']):,} items, network stubbed: BulkWriter {w['bulk_writer_items_per_s']:,.0f} items/s, "
        f"Table.batch_writer() {w['batch_writer_items_per_s']:,.0f} items/s, ratio {w['ratio']:.2f}"
    )
    if "end_to_end" in report:
        e = report["end_to_end"]
        print(
            f"end to end through the local stack, {e['rows']:,} rows: {e['status']} in {e['seconds']}s, "
            f"{e['rows_per_s']:,.0f} rows/s, {e['write_requests_per_1000_rows']} DynamoDB write requests "
            f"per 1,000 rows {e['requests_by_operation']}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
