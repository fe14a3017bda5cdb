"""``victim-support``: the command line of the local stack.

  demo                 register a municipality, generate residents, upload them through the presigned
                       URL, show progress and print the summaries (full file, then a delta file)
  serve                run the local stack (moto on 127.0.0.1, gateway, queue pollers) until Ctrl-C
  upload FILE          upload a resident file and print the job summary as JSON
  generate-residents N write a synthetic resident file
  fees estimate        the fees per fiscal year for a population, pattern and start month
  onboarding plan      the onboarding schedule (導入スケジュール) counted back from the start month
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from infra.local import demo_flows
from infra.local.cli_fees import register as register_fees
from infra.local.cli_onboarding import register as register_onboarding
from infra.local.kiosk_simulator import register as register_kiosk

DEFAULT_MUNICIPALITY = "434434"  # 益城町 (熊本県), struck twice by the 2016 Kumamoto earthquakes


def _registration(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "population": args.population,
        "pattern": args.pattern,
        # Kiosk issuance of 罹災・被災証明書 needs BCL's issuance server whatever the pattern.
        "uses_bcl_issuance_server": True,
        "start_month": date.today().strftime("%Y-%m"),
        "kiosk_issuance": True,
    }


@contextlib.contextmanager
def _local_stack(port: int | None = None) -> Iterator[Any]:
    from infra.local.stack import LocalStack

    with LocalStack(api_port=port) as stack:
        yield stack


class _ProgressBar:
    """A tqdm bar on stderr fed from the job's progress (stdout stays clean JSON)."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self._label = label
        self._enabled = enabled
        self._bar: Any = None

    def __call__(self, status: dict[str, Any]) -> None:
        if not self._enabled:
            return
        progress = status["progress"]
        if self._bar is None and progress["rows_total"]:
            from tqdm import tqdm

            self._bar = tqdm(total=progress["rows_total"], desc=self._label, unit="rows", file=sys.stderr,
                             leave=True)
        if self._bar is not None:
            self._bar.update(progress["rows_done"] - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _upload(client: Any, path: Path, kind: str, *, show_progress: bool) -> dict[str, Any]:
    from infra.local.staff_client import summary

    ticket = client.request_upload(path, kind)
    client.put_file(ticket, path)
    bar = _ProgressBar(f"{kind} {path.name}", enabled=show_progress)
    try:
        status = client.wait(ticket["upload_id"], on_progress=bar)
    finally:
        bar.close()
    return summary(status)


def _ensure_registered(stack: Any, code: str, registration: dict[str, Any]) -> None:
    from infra.local.staff_client import StaffApiClient

    operator = StaffApiClient(stack.api_url, stack.issue_token(None, groups=("operators",), username="operator"))
    if operator.municipality(code) is None:
        operator.register_municipality(code, registration)


def cmd_upload(args: argparse.Namespace) -> int:
    from infra.local.staff_client import StaffApiClient

    path = Path(args.file)
    if args.endpoint:
        if not args.token:
            print("--token is required with --endpoint", file=sys.stderr)
            return 2
        result = _upload(StaffApiClient(args.endpoint, args.token), path, args.kind, show_progress=not args.quiet)
    else:
        with _local_stack() as stack:
            _ensure_registered(stack, args.municipality, _registration(args))
            client = StaffApiClient(stack.api_url, stack.issue_token(args.municipality))
            result = _upload(client, path, args.kind, show_progress=not args.quiet)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["status"] == "succeeded" else 1


def cmd_generate(args: argparse.Namespace) -> int:
    from victim_support.synthetic import generate_residents, write_csv

    output = Path(args.output or f"residents-{args.municipality}-{'delta' if args.delta else 'full'}.csv")
    rows = generate_residents(args.rows, args.municipality, seed=args.seed, bad_share=args.bad_share,
                              delta=args.delta, base_rows=args.base_rows)
    written = write_csv(output, rows, encoding=args.encoding)
    print(json.dumps({"file": str(output), "rows": written, "encoding": args.encoding}, ensure_ascii=False))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    with _local_stack(args.port) as stack:
        _ensure_registered(stack, args.municipality, _registration(args))
        print(json.dumps({
            "api_url": stack.api_url,
            "aws_endpoint_url": stack.endpoint_url,
            "staff_token": stack.issue_token(args.municipality),
            "operator_token": stack.issue_token(None, groups=("operators",), username="operator"),
        }, ensure_ascii=False, indent=2), flush=True)
        stack.serve_forever()
    return 0


def say(text: str) -> None:
    """Narration goes to stderr so stdout carries only the JSON summaries."""
    print(text, file=sys.stderr, flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    from victim_support.synthetic import generate_residents, write_csv

    from infra.local.staff_client import StaffApiClient

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    code = args.municipality
    full = workdir / f"住民データ_{code}_全件.csv"
    delta = workdir / f"住民データ_{code}_異動.csv"
    say(f"1/10 generating {args.rows} residents of {code} (CP932, {args.bad_share:.0%} bad rows) → {full}")
    write_csv(full, generate_residents(args.rows, code, seed=7, bad_share=args.bad_share), encoding="cp932")
    write_csv(delta, generate_residents(max(args.rows // 50, 10), code, seed=7, bad_share=args.bad_share,
                                        delta=True, base_rows=args.rows), encoding="utf-8-sig")
    say("2/10 starting the local stack (moto on 127.0.0.1, gateway, queue pollers)")
    with _local_stack() as stack:
        say(f"    staff API at {stack.api_url}")
        say("3/10 registering the municipality (operator)")
        _ensure_registered(stack, code, _registration(args))
        client = StaffApiClient(stack.api_url, stack.issue_token(code))
        say(f"    {json.dumps(client._call('GET', '/municipality'), ensure_ascii=False)}")
        say("4/10 full upload through the presigned URL")
        full_summary = _upload(client, full, "full", show_progress=True)
        print(json.dumps({"full": full_summary}, ensure_ascii=False, indent=2), flush=True)
        say("5/10 delta upload (異動ファイル), applied in file order")
        delta_summary = _upload(client, delta, "delta", show_progress=True)
        print(json.dumps({"delta": delta_summary}, ensure_ascii=False, indent=2), flush=True)
        say("6/10 a disaster: the ledger built from the residents, surveys (one 2次調査 changes the level), "
            "support decided")
        ledger = demo_flows.disaster_and_ledger(stack, client, full, say)
        print(json.dumps({"disaster_summary": ledger["summary"]}, ensure_ascii=False, indent=2), flush=True)
        say("7/10 a 罹災証明書 at the counter: signing key, seal, request, signed PDF")
        operator = StaffApiClient(stack.api_url, stack.issue_token(None, groups=("operators",), username="operator"))
        certificate = demo_flows.counter_certificate(stack, operator, client, code, ledger["disaster_id"],
                                                     ledger["surveyed"][0], Path(args.out), say)
        print(json.dumps({"certificate": certificate}, ensure_ascii=False, indent=2), flush=True)
        say("8/10 the same resident's household at a convenience-store kiosk: My Number card, session, "
            "issuance, the PDF handed out once, printed")
        kiosk = demo_flows.kiosk_print(stack, operator, client, code, ledger["disaster_id"], ledger["surveyed"],
                                       Path(args.out), say)
        print(json.dumps({"kiosk": kiosk}, ensure_ascii=False, indent=2), flush=True)
        say("9/10 fee estimate for the municipality (GET /fees/estimate, defaults from its registration)")
        print(_render_estimate(client.fee_estimate(copies=args.kiosk_copies)), flush=True)
        say("10/10 the billing run for this month (the monthly schedule, invoked as EventBridge would)")
        print(_billing_statement(stack, code, workdir), flush=True)
    ok = full_summary["status"] == "succeeded" and delta_summary["status"] == "succeeded"
    say("demo finished" if ok else "demo finished with a failed upload")
    return 0 if ok else 1


def _render_estimate(payload: dict[str, Any]) -> str:
    from victim_support.fees import Estimate, render_estimate

    return render_estimate(Estimate.model_validate(payload))


def _billing_statement(stack: Any, code: str, workdir: Path) -> str:
    """Run the billing schedule for the month now ending, save the statement PDF beside the demo
    files, and return the monthly statement as a table read back from its CSV."""
    import csv
    import io
    from datetime import datetime, timedelta

    from victim_support.clock import JST

    from infra.local.provision import local_clients

    today = datetime.now(JST)
    first_of_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1, hour=1, minute=0)
    run = stack.run_scheduled("billing", at=first_of_next)
    ref = next(r for r in run["statements"] if r["municipality_code"] == code and r["kind"] == "monthly")
    s3 = local_clients(stack.endpoint_url).s3
    bucket = stack.resources.buckets["billing"]
    pdf = workdir / f"月次利用明細書_{code}_{ref['period']}.pdf"
    pdf.write_bytes(s3.get_object(Bucket=bucket, Key=ref["pdf_key"])["Body"].read())
    text = s3.get_object(Bucket=bucket, Key=ref["csv_key"])["Body"].read().decode("utf-8-sig")
    lines = [f"月次利用明細書 {code} {ref['period']} (PDF: {pdf})"]
    for row in csv.DictReader(io.StringIO(text)):
        quantity = f"{row['数量']} × {row['単価']}" if row["単価"] else row["数量"]
        amount = row["金額"] if row["金額"] in ("", "記載なし") else f"{int(row['金額']):,}"
        lines.append(f"  {row['項目']:<28} {quantity:>14} {amount:>12}  {row['精算']}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="victim-support", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def tenant_options(p: argparse.ArgumentParser, required: bool = False) -> None:
        p.add_argument("--municipality", required=required, default=None if required else DEFAULT_MUNICIPALITY,
                       help="全国地方公共団体コード (6 digits)")
        p.add_argument("--population", type=int, default=33_000, help="used when registering")
        p.add_argument("--pattern", choices=("A", "B"), default="B", help="used when registering")

    demo = sub.add_parser("demo", help="run the whole job end to end on the local stack")
    tenant_options(demo)
    demo.add_argument("--rows", type=int, default=20_000)
    demo.add_argument("--bad-share", type=float, default=0.02)
    demo.add_argument("--workdir", default="demo-out")
    demo.add_argument("--out", default="out", help="where the demo writes the certificates it issues")
    demo.add_argument("--kiosk-copies", type=int, default=1_200, help="kiosk copies per year, for the estimate")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the local stack until interrupted")
    tenant_options(serve)
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(func=cmd_serve)

    upload = sub.add_parser("upload", help="upload a resident file and print the job summary")
    upload.add_argument("file")
    tenant_options(upload, required=True)
    upload.add_argument("--kind", choices=("full", "delta"), required=True)
    upload.add_argument("--endpoint", help="staff API base URL; without it a local stack starts in-process")
    upload.add_argument("--token", help="bearer token for --endpoint")
    upload.add_argument("--quiet", action="store_true", help="no progress bar")
    upload.set_defaults(func=cmd_upload)

    generate = sub.add_parser("generate-residents", help="write a synthetic resident file")
    generate.add_argument("rows", type=int)
    generate.add_argument("--municipality", required=True)
    generate.add_argument("--encoding", choices=("cp932", "utf-8", "utf-8-sig"), default="cp932")
    generate.add_argument("--delta", action="store_true", help="a delta (異動) file for the same seed")
    generate.add_argument("--bad-share", type=float, default=0.0)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--base-rows", type=int, help="with --delta: rows of the full file it changes")
    generate.add_argument("--output", "-o")
    generate.set_defaults(func=cmd_generate)

    register_fees(sub)
    register_onboarding(sub)
    register_kiosk(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
