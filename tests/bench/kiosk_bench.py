"""``make bench-kiosk``: the kiosk issuance flow's latency on the local stack, the handler CPU per call
and the kiosk handler's cold import, printed and saved to bench-out/kiosk.json.

Setup (not timed): 益城町 registered with BCL's issuance server and kiosk issuance, 2,000 synthetic
residents uploaded, a disaster's ledger built and three households surveyed (as the demo does), the
signing key and seal, a kiosk registered, and a simulated My Number card for each surveyed head.

Timed: ``--count`` issuances (1,000 by default), one after another, each the whole flow a kiosk walks
(``infra.local.kiosk_simulator``): open a session, authenticate the card (nonce signature, chain, CRL,
link), list what may be printed, order a 罹災証明書 with an Idempotency-Key, poll until the worker has
generated, signed and stored it (every 20 ms), take the PDF (handed out once) and report it printed.
Every request goes over HTTP through the local gateway, which runs the HMAC authorizer first, as API
Gateway does. p50/p95/p99 are of the whole flow per issuance; each step's median is printed beside.

Handler CPU is the thread time of each function's handler (as Lambda bills it) divided by its
invocations during the timed run: ``kiosk_issuance`` (6+ calls per issuance), ``kiosk_authorizer``
(one per call) and ``certificate_generation`` (one per certificate).

Cold import: ``import functions.kiosk_issuance.handler`` in a fresh interpreter beside a bare
``import boto3`` in the same run (``tests.bench.kiosk_import``). Nothing here asserts a timing.

    .venv/bin/python -m tests.bench.kiosk_bench [--count 1000] [--residents 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = Path("bench-out")
CODE = "434434"
KIOSK = "familymart-mashiki-bench"
FUNCTIONS = ("kiosk_issuance", "kiosk_authorizer", "certificate_generation")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def setup(stack: Any, residents: int, workdir: Path) -> tuple[Any, list[Any]]:
    from victim_support.kiosk.jpki_sim import SimulatedCA
    from victim_support.synthetic import generate_residents, write_csv

    from infra.local import demo_flows
    from infra.local.kiosk_cards import install_trust, link_cards
    from infra.local.kiosk_client import KioskClient
    from infra.local.provision import local_clients
    from infra.local.staff_client import StaffApiClient

    def quiet(_: str) -> None:
        pass

    operator = StaffApiClient(stack.api_url, stack.issue_token(None, groups=("operators",), username="operator"))
    operator.register_municipality(CODE, {"population": 33_000, "pattern": "B", "uses_bcl_issuance_server": True,
                                          "start_month": "2026-04", "kiosk_issuance": True})
    staff = StaffApiClient(stack.api_url, stack.issue_token(CODE))
    path = workdir / "residents.csv"
    write_csv(path, generate_residents(residents, CODE, seed=7, bad_share=0.0), encoding="cp932")
    ticket = staff.request_upload(path, "full")
    staff.put_file(ticket, path)
    staff.wait(ticket["upload_id"], poll_s=0.5)
    ledger = demo_flows.disaster_and_ledger(stack, staff, path, quiet)
    demo_flows.counter_certificate(stack, operator, staff, CODE, ledger["disaster_id"], ledger["surveyed"][0],
                                   workdir, quiet)
    registered = operator._call("PUT", f"/kiosks/{KIOSK}", {"operator": "FamilyMart", "store_name": "ベンチ店",
                                                              "location_code": CODE})
    operator._call("PUT", f"/municipalities/{CODE}/kiosk-service",
                   {"opens": "00:00", "closes": "24:00", "closed_periods": []})
    ca = SimulatedCA.create()
    clients = local_clients(stack.endpoint_url)
    install_trust(clients, stack.resources.buckets["jpki"], ca)
    cards = {}
    for household in ledger["surveyed"]:
        view = staff._call("GET", f"/disasters/{ledger['disaster_id']}/households/{household}")
        head = view["household"]["head_person_id"]
        if not view.get("protected"):
            cards[head] = ca.issue_card()
    link_cards(clients, stack.resources.tables["card_links"], CODE, cards)
    stack.wait_idle(120)
    return KioskClient(stack.api_url, KIOSK, registered["secret"]), list(cards.values())


def run(count: int, residents: int) -> dict[str, Any]:
    from infra.local.kiosk_client import KioskApiError
    from infra.local.kiosk_simulator import print_certificate
    from infra.local.stack import LocalStack
    from tests.bench.kiosk_import import measure_cold_imports

    imports = measure_cold_imports()
    with tempfile.TemporaryDirectory() as tmp, LocalStack() as stack:
        print(f"  setting up: {residents:,} residents, ledger, surveys, key, seal, kiosk, cards", file=sys.stderr)
        client, cards = setup(stack, residents, Path(tmp))
        usable = []
        for card in cards:  # a head who moved out in the synthetic data is refused neutrally: skip them
            try:
                print_certificate(client, card, CODE, kind="risai", poll_interval_s=0.02)
                usable.append(card)
            except KioskApiError as error:
                if error.code != "KIOSK_NOT_AVAILABLE":
                    raise
        if not usable:
            raise RuntimeError("no card could print")
        stack.wait_idle(60)
        cpu_before = stack.handler_cpu()
        totals: list[float] = []
        steps: dict[str, list[float]] = {}
        print(f"  {count:,} issuances with {len(usable)} cards", file=sys.stderr)
        started = time.perf_counter()
        for n in range(count):
            began = time.perf_counter()
            printed = print_certificate(client, usable[n % len(usable)], CODE, kind="risai", poll_interval_s=0.02)
            totals.append((time.perf_counter() - began) * 1000)
            for name, ms in printed.timings_ms.items():
                steps.setdefault(name, []).append(ms)
            if (n + 1) % 100 == 0:
                print(f"    {n + 1:,} done", file=sys.stderr, flush=True)
        elapsed = time.perf_counter() - started
        cpu_after = stack.handler_cpu()
    cpu = {}
    for name in FUNCTIONS:
        seconds = cpu_after.get(name, (0.0, 0))[0] - cpu_before.get(name, (0.0, 0))[0]
        calls = cpu_after.get(name, (0.0, 0))[1] - cpu_before.get(name, (0.0, 0))[1]
        cpu[name] = {"calls": calls, "cpu_ms_per_call": round(seconds * 1000 / calls, 2) if calls else None}
    return {
        "issuances": count,
        "elapsed_s": round(elapsed, 1),
        "issuances_per_s": round(count / elapsed, 2),
        "flow_ms": {"p50": round(percentile(totals, 0.50), 1), "p95": round(percentile(totals, 0.95), 1),
                    "p99": round(percentile(totals, 0.99), 1), "mean": round(statistics.fmean(totals), 1)},
        "step_median_ms": {name: round(statistics.median(v), 1) for name, v in steps.items()},
        "handler_cpu": cpu,
        "cold_import": imports,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000)
    parser.add_argument("--residents", type=int, default=2_000)
    args = parser.parse_args()
    figures = run(args.count, args.residents)
    OUT.mkdir(exist_ok=True)
    (OUT / "kiosk.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    flow = figures["flow_ms"]
    print(f"kiosk issuance flow, {figures['issuances']:,} issuances over HTTP on the local stack:")
    print(f"  p50 {flow['p50']} ms  p95 {flow['p95']} ms  p99 {flow['p99']} ms  (mean {flow['mean']} ms, "
          f"{figures['issuances_per_s']} issuances/s one at a time)")
    print("  step medians: " + ", ".join(f"{k} {v} ms" for k, v in figures["step_median_ms"].items()))
    for name, row in figures["handler_cpu"].items():
        print(f"  {name}: {row['cpu_ms_per_call']} ms CPU per call ({row['calls']:,} calls)")
    imports = figures["cold_import"]
    print(f"  cold import: import boto3 {imports['boto3_ms']:.0f} ms, the kiosk handler "
          f"{imports['handler_ms']:.0f} ms, {imports['ratio']:.2f}x (target within 2.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
