"""``make bench-ledger``: the victim ledger's figures on the local stack, printed and saved to
bench-out/ledger.json.

One run: 100,000 synthetic residents (横浜市, CP932) uploaded through the presigned URL; a disaster
registered through the staff API and its ledger built by the ``ledger_build`` worker (the time from
``POST /disasters`` to status ``open``); then ledger commands for random households of that ledger
(surveys, evacuation changes, relief) sent through ``POST /disasters/{id}/commands`` and applied by the
``ledger_updates`` worker from the FIFO queue: commands per second from the first send until every
command is applied, and the worker's CPU per command (handler thread time, as Lambda bills it). Last,
the reads staff make, through the API: household views and searches (mean time of each), the summary
and the CSV export (one each).

    .venv/bin/python -m tests.bench.ledger [--residents 100000] [--commands 2000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.bench.intake import MUNICIPALITY, OUT, resident_file


def household_ids(path: Path) -> list[str]:
    with path.open(encoding="cp932", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        column = header.index("世帯番号")
        return sorted({row[column] for row in reader if len(row) > column and row[column].isdigit()})


def command(n: int, household_id: str, rng: random.Random) -> dict[str, Any]:
    kind = rng.random()
    base = {"command_id": f"bench-{n:07d}", "household_id": household_id, "reason": "benchmark"}
    if kind < 0.5:
        return {**base, "type": "record_survey", "round": "1次調査", "surveyor": "被害認定班",
                "surveyed_on": "2026-11-20", "dwelling_address": "神奈川県横浜市中区",
                "loss_ratio": str(rng.randrange(0, 1000) / 10)}
    if kind < 0.8:
        return {**base, "type": "change_evacuation", "evacuation": rng.choice(["shelter", "relatives", "at_home"])}
    return {**base, "type": "record_support", "kind": "relief", "description": "食料・毛布", "on": "2026-11-21"}


def wait_open(staff: Any, disaster_id: str, timeout_s: float = 3600.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        disaster: dict[str, Any] = staff._call("GET", f"/disasters/{disaster_id}")
        if disaster["status"] == "open":
            return disaster
        time.sleep(0.5)
    raise TimeoutError("the ledger build did not finish")


def run(residents: int, commands: int) -> dict[str, Any]:
    from infra.local.stack import LocalStack
    from infra.local.staff_client import ApiError, StaffApiClient

    path = resident_file(residents)
    with LocalStack() as stack:
        operator = StaffApiClient(stack.api_url, stack.issue_token(None, groups=("operators",)))
        operator.register_municipality(MUNICIPALITY, {"population": 3_770_000, "pattern": "A",
                                                      "uses_bcl_issuance_server": True, "start_month": "2026-04"})
        staff = StaffApiClient(stack.api_url, stack.issue_token(MUNICIPALITY))
        print(f"  uploading {residents:,} residents", file=sys.stderr, flush=True)
        ticket = staff.request_upload(path, "full")
        staff.put_file(ticket, path)
        upload = staff.wait(ticket["upload_id"], poll_s=1.0)
        stack.wait_idle(600)

        print("  registering the disaster and building its ledger", file=sys.stderr, flush=True)
        started = time.perf_counter()
        disaster = staff._call("POST", "/disasters", {
            "name": "ベンチマーク地震", "occurred_on": "2026-11-20", "cause": "地震",
            "affected_areas": ["横浜市全域"], "relief_act_applies": True,
        })
        disaster = wait_open(staff, disaster["disaster_id"])
        build_seconds = time.perf_counter() - started
        build_cpu = stack.handler_cpu().get("ledger_build", (0.0, 0))[0]
        stack.wait_idle(600)

        rng = random.Random(5)
        households = household_ids(path)
        batch = [command(n, rng.choice(households), rng) for n in range(commands)]
        print(f"  {commands:,} commands over {disaster['households']:,} households", file=sys.stderr, flush=True)
        cpu_before = stack.handler_cpu().get("ledger_updates", (0.0, 0))
        refused = 0

        def send(body: dict[str, Any]) -> bool:
            try:
                staff._call("POST", f"/disasters/{disaster['disaster_id']}/commands", body)
            except ApiError:
                return False
            return True

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            accepted = sum(pool.map(send, batch))
        sent_seconds = time.perf_counter() - started
        refused = commands - accepted
        stack.wait_idle(3600)
        applied_seconds = time.perf_counter() - started
        cpu_after = stack.handler_cpu().get("ledger_updates", (0.0, 0))
        dlq = stack.dlq_depths()
        reads = read_figures(staff, disaster["disaster_id"], households, rng)
    worker_cpu = cpu_after[0] - cpu_before[0]
    return {
        "residents": residents,
        "upload_status": upload["status"],
        "households": disaster["households"],
        "persons": disaster["persons"],
        "build_seconds": round(build_seconds, 1),
        "build_persons_per_s": round(disaster["persons"] / build_seconds, 1),
        "build_worker_cpu_s": round(build_cpu, 1),
        "commands_sent": commands,
        "commands_accepted": accepted,
        "commands_refused_at_api": refused,
        "api_accept_per_s": round(accepted / sent_seconds, 1),
        "commands_applied_per_s": round(accepted / applied_seconds, 1),
        "worker_invocations": cpu_after[1] - cpu_before[1],
        "worker_cpu_ms_per_command": round(1000 * worker_cpu / max(accepted, 1), 2),
        "dead_letters": sum(dlq.values()),
        **reads,
    }


def read_figures(staff: Any, disaster_id: str, households: list[str], rng: random.Random) -> dict[str, Any]:
    """Mean milliseconds of household views and searches, and seconds of one summary and one export."""
    base = f"/disasters/{disaster_id}"

    def timed(call: Any) -> tuple[float, Any]:
        started = time.perf_counter()
        result = call()
        return time.perf_counter() - started, result

    from infra.local.staff_client import ApiError

    views: list[float] = []
    for household_id in rng.sample(households, 60):  # a few ids of the file are in rejected rows only
        try:
            views.append(timed(lambda h=household_id: staff._call("GET", f"{base}/households/{h}"))[0])
        except ApiError:
            continue
    searches = [timed(lambda q=q: staff._call("GET", f"{base}/persons", params=q))[0]
                for q in [{"kana": kana} for kana in ("ヤマ", "サトウ", "タ", "スズキ", "ワ")] * 4
                + [{"birth": year} for year in ("1950", "1970-03", "1985", "2001-07-07")] * 4
                + [{"address": "神奈川県横浜市"}, {"address": "神奈川県横浜市中区"}] * 4]
    summary_s, _ = timed(lambda: staff._call("GET", f"{base}/summary"))
    staff.timeout_s = 1800.0
    export_s, export = timed(lambda: staff._call("GET", f"{base}/export"))
    return {
        "household_view_ms": round(1000 * sum(views) / len(views), 1),
        "search_ms": round(1000 * sum(searches) / len(searches), 1),
        "summary_seconds": round(summary_s, 2),
        "export_seconds": round(export_s, 1),
        "export_rows": export["rows"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--commands", type=int, default=2_000)
    args = parser.parse_args()
    report = run(args.residents, args.commands)
    OUT.mkdir(exist_ok=True)
    (OUT / "ledger.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    r = report
    print(f"\nledger built from {r['residents']:,} residents: {r['households']:,} households, "
          f"{r['persons']:,} persons in {r['build_seconds']} s ({r['build_persons_per_s']:,.0f} persons/s; "
          f"worker CPU {r['build_worker_cpu_s']} s)")
    print(f"commands: {r['commands_accepted']:,} accepted at {r['api_accept_per_s']:,.0f}/s through the staff API, "
          f"applied by the FIFO worker at {r['commands_applied_per_s']:,.0f}/s end to end; worker CPU "
          f"{r['worker_cpu_ms_per_command']} ms per command; dead letters {r['dead_letters']}")
    print(f"reads: household view {r['household_view_ms']} ms, search {r['search_ms']} ms (means); summary "
          f"{r['summary_seconds']} s; export of {r['export_rows']:,} rows {r['export_seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
