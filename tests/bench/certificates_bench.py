"""``make bench-certificates``: certificates per second per core, printed and saved to
bench-out/certificates.json.

Three stages, each timed one certificate at a time in one thread (so the rate is per core) and each
beside a plain one-page reportlab document with the same text, measured in the same run:

  * render: ``render_certificate`` (layout, fitting, two subset fonts, seal, QR code) vs the plain
    document (the same lines drawn with the same embedded font, nothing else);
  * render + sign: the above plus the PAdES signature by ``KmsSigner`` vs the plain document signed
    the same way;
  * worker: the whole ``certificate_generation`` path from an SQS-shaped event (one record) to the
    stored PDF and records (request, gapless number, certificate, issue, issuance record, ledger
    status, audit, idempotency), vs the plain document rendered and signed.

AWS is moto in-process (``moto.mock_aws``): KMS Sign is an in-process ECDSA signature and DynamoDB /
S3 calls cost moto's Python, not a network round trip, so the worker figure is the CPU cost of the
path; on AWS each call adds its latency (about 10 calls per certificate). Nothing here asserts a
timing. The p95 is the 95th percentile of the per-certificate times.

    .venv/bin/python -m tests.bench.certificates_bench [--count 100]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

OUT = Path("bench-out")
CODE = "434434"
DISASTER_ID = "D20240101-0b0e"


def seal_png() -> bytes:
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((8, 8, 232, 232), outline=(200, 30, 30, 230), width=12)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def timed(count: int, one: Callable[[int], Any]) -> dict[str, float]:
    one(0)  # warm-up: font registration, imports, first KMS key load
    times: list[float] = []
    for i in range(1, count + 1):
        started = time.perf_counter()
        one(i)
        times.append(time.perf_counter() - started)
    mean = statistics.fmean(times)
    tenth = max(1, count // 10)
    return {"count": count, "per_s": round(1 / mean, 2), "mean_ms": round(1000 * mean, 2),
            "p50_ms": round(1000 * sorted(times)[len(times) // 2], 2),
            "p95_ms": round(1000 * sorted(times)[max(0, int(len(times) * 0.95) - 1)], 2),
            # In order of issue: whether the cost per certificate grows with what is already stored.
            "first_tenth_mean_ms": round(1000 * statistics.fmean(times[:tenth]), 2),
            "last_tenth_mean_ms": round(1000 * statistics.fmean(times[-tenth:]), 2)}


class AwsCallClock:
    """Counts the AWS calls of the project's clients and the time spent inside the storage calls
    (DynamoDB, S3, SQS: moto, here)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds = 0.0
        self._started = 0.0

    def _before(self, event_name: str, **_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, event_name: str, **_: Any) -> None:
        operation = event_name.split(".", 1)[1]
        self.calls[operation] += 1
        if not operation.startswith("kms."):  # KMS Sign is part of "render + sign" too: kept in both
            self.seconds += time.perf_counter() - self._started

    def __enter__(self) -> AwsCallClock:
        from victim_support.aws import get_clients

        clients = get_clients()
        for client in (clients.dynamodb, clients.s3, clients.sqs, clients.kms):
            client.meta.events.register("before-call", self._before)
            client.meta.events.register("after-call", self._after)
        return self

    def __exit__(self, *_: object) -> None:
        from victim_support.aws import get_clients

        clients = get_clients()
        for client in (clients.dynamodb, clients.s3, clients.sqs, clients.kms):
            client.meta.events.unregister("before-call", self._before)
            client.meta.events.unregister("after-call", self._after)


def plain_document(lines: list[str]) -> bytes:
    """The same text on one A4 page with the same embedded font: the floor any PDF of it costs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas
    from victim_support.documents.fonts import font_runs, mincho

    mincho()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    y = A4[1] - 72
    for line in lines:
        text = canvas.beginText(56, y)
        for font, run in font_runs(line):
            text.setFont(font, 11)
            text.textOut(run)
        canvas.drawText(text)
        y -= 18
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def content_lines(content: Any) -> list[str]:
    from victim_support.rules.wareki import to_wareki

    return [content.title, f"整理番号　第{content.number}号", content.head_address, content.head_name,
            f"{to_wareki(content.disaster_date)}の{content.disaster_name}による{content.cause}",
            content.dwelling_address, str(content.damage_level), *content.members,
            "上記のとおり相違ないことを証明します。", to_wareki(content.issued_on), content.mayor_title,
            content.mayor_name, content.verification_code, content.verify_url]


def setup_cloud() -> dict[str, Any]:
    """The real topology in moto (in-process), a municipality, a built ledger, a signing key, a seal."""
    from victim_support import aws, wiring
    from victim_support.certificates.keys_registry import SigningKeyRequest, create_signing_key
    from victim_support.certificates.store import SealRecord, seal_item
    from victim_support.ledger.models import Disaster, Household, Person
    from victim_support.ledger.repository import disaster_item, household_item, person_item
    from victim_support.settings import get_settings
    from victim_support.tenants.models import MunicipalityRegistration
    from victim_support.tenants.service import register_municipality

    from infra.local.provision import provision
    from infra.topology import TOPOLOGY

    provisioned = provision(TOPOLOGY, None)  # type: ignore[arg-type]  # no endpoint: moto intercepts in-process
    os.environ.update({**provisioned.env, "VS_ENVIRONMENT": "local", "POWERTOOLS_METRICS_NAMESPACE": "VictimSupport"})
    os.environ.pop("VS_AWS_ENDPOINT_URL", None)
    get_settings.cache_clear()
    aws._clients = None  # the bench rebuilds the process-wide client factory for its settings
    wiring.reset()
    registration = MunicipalityRegistration.model_validate({
        "population": 33_000, "pattern": "B", "uses_bcl_issuance_server": True, "start_month": "2023-04"})
    register_municipality(CODE, registration, actor="bench", tenants=wiring.tenants(), audit=wiring.audit())
    ctx = wiring.certificate_context()
    create_signing_key(CODE, SigningKeyRequest(), actor="bench", store=ctx.store, tenants=ctx.tenants, kms=ctx.kms,
                       data_key_id=ctx.need(ctx.data_key_id, "key data"), audit=ctx.audit)
    png = seal_png()
    seal = SealRecord(municipality_code=CODE, seal_id="S0000000000000001", status="registered", version=1,
                      mayor_title="益城町長", mayor_name="西村博則", valid_from=date(2024, 1, 1), filename="seal.png",
                      size_bytes=len(png), sha256=hashlib.sha256(png).hexdigest(),
                      object_key=f"{CODE}/seals/S0000000000000001.png", created_at="t", created_by="bench")
    ctx.store.put_new(seal_item(seal))
    ctx.documents.s3.put_object(Bucket=provisioned.buckets["seals"], Key=seal.object_key, Body=png)
    ddb, table = ctx.dynamodb, provisioned.tables["ledger"]
    ddb.put_item(TableName=table, Item=disaster_item(Disaster(
        municipality_code=CODE, disaster_id=DISASTER_ID, name="令和6年能登半島地震", occurred_on=date(2024, 1, 1),
        cause="地震", affected_areas=["全域"], relief_act_applies=True, status="open", resident_generation=1,
        registered_at="t", registered_by="bench")))
    return {"provisioned": provisioned, "ctx": ctx, "household": lambda i: _household(ddb, table, i,
                                                                                       household_item, person_item,
                                                                                       Household, Person)}


def _household(ddb: Any, table: str, i: int, household_item: Any, person_item: Any, household_cls: Any,
               person_cls: Any) -> str:
    """Household ``i`` with the names and addresses the render stages print (𠮷 needs the IPAmj font too),
    so every stage draws the same text."""
    household_id = str(100_000 + i)
    ddb.put_item(TableName=table, Item=household_item(CODE, DISASTER_ID, household_cls(
        household_id=household_id, head_person_id=f"{household_id}1", head_name="𠮷田　太郎",
        dwelling_address=f"熊本県上益城郡益城町大字木山{i}番地", members=2, single_person=False,
        damage_level="中規模半壊", damage_round="1次調査", updated_at="t")))
    for n, name in ((1, "𠮷田　太郎"), (2, "𠮷田　花子")):
        ddb.put_item(TableName=table, Item=person_item(CODE, DISASTER_ID, person_cls(
            household_id=household_id, person_id=f"{household_id}{n}", name=name, name_kana="ヨシダ　タロウ",
            address=f"熊本県上益城郡益城町大字宮園{i}番地", updated_at="t")))
    return household_id


def run(count: int) -> dict[str, Any]:
    from moto import mock_aws

    from infra.local import moto_patches

    moto_patches.apply()  # transactions roll back per item, as on the local stack
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-northeast-1")
    with mock_aws():
        cloud = setup_cloud()
        return measure(count, cloud)


def measure(count: int, cloud: dict[str, Any]) -> dict[str, Any]:
    from victim_support.certificates.models import CertificateContent
    from victim_support.certificates.render import render_certificate
    from victim_support.certificates.requests import RequestMessage
    from victim_support.certificates.signing import sign_pdf
    from victim_support.certificates.store import RequestRecord, request_item
    from victim_support.certificates.verification import verification_code, verify_url

    from functions.certificate_generation.handler import lambda_handler
    from tests.integration.lambda_context import FakeContext

    ctx = cloud["ctx"]
    signer = ctx.keys.signer(CODE)
    secret = ctx.keys.secret(CODE)
    seal = seal_png()

    def content(i: int) -> CertificateContent:
        number = f"R8-{i:06d}"
        issued_on = date(2026, 11, 27)
        code = verification_code(secret, CODE, number, issued_on, 0)
        return CertificateContent(
            kind="risai", number=number, municipality_code=CODE, municipality_name="益城町", mayor_title="益城町長",
            mayor_name="西村博則", head_address=f"熊本県上益城郡益城町大字宮園{i}番地", head_name="𠮷田　太郎",
            dwelling_address=f"熊本県上益城郡益城町大字木山{i}番地", cause="地震", disaster_name="令和6年能登半島地震",
            disaster_date=date(2024, 1, 1), damage_level="中規模半壊", members=("𠮷田　太郎", "𠮷田　花子"),
            issued_on=issued_on, verification_code=code,
            verify_url=verify_url("verify.example.lg.jp", f"{CODE}-{number}", code))

    sizes: dict[str, int] = {}

    def render_one(i: int) -> None:
        sizes["certificate"] = len(render_certificate(content(i), seal_png=seal))

    def plain_one(i: int) -> None:
        sizes["plain"] = len(plain_document(content_lines(content(i))))

    def render_sign_one(i: int) -> None:
        sizes["certificate_signed"] = len(sign_pdf(render_certificate(content(i), seal_png=seal), signer,
                                                   reason="罹災証明書の交付", location="益城町"))

    def plain_sign_one(i: int) -> None:
        sizes["plain_signed"] = len(sign_pdf(plain_document(content_lines(content(i))), signer,
                                             reason="罹災証明書の交付", location="益城町"))

    store, queue_arn = ctx.store, "arn:aws:sqs:ap-northeast-1:123456789012:vs-local-certificate-requests"
    requests: dict[int, str] = {}
    for i in range(count + 1):
        household_id = cloud["household"](i)
        request_id = f"{CODE}-20261127T090000-{i:010x}"
        store.put_new(request_item(RequestRecord(
            municipality_code=CODE, request_id=request_id, kind="risai", disaster_id=DISASTER_ID,
            household_id=household_id, copies=1, members=True, channel="counter", requested_by="bench",
            requested_at="2026-11-27T00:00:00Z")))
        requests[i] = request_id

    def worker_one(i: int) -> None:
        body = RequestMessage(municipality_code=CODE, request_id=requests[i]).model_dump_json()
        event = {"Records": [{"messageId": f"m-{i}", "receiptHandle": "r", "body": body, "attributes": {},
                              "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                              "eventSourceARN": queue_arn, "awsRegion": "ap-northeast-1"}]}
        with contextlib.redirect_stdout(io.StringIO()):  # the handler's metrics line, as Lambda would log it
            result = lambda_handler(event, FakeContext())
        assert not result["batchItemFailures"], result

    stages = {
        "plain_render": timed(count, plain_one),
        "render": timed(count, render_one),
        "plain_render_sign": timed(count, plain_sign_one),
        "render_sign": timed(count, render_sign_one),
    }
    with AwsCallClock() as aws_clock:
        stages["worker"] = timed(count, worker_one)
    calls, aws_seconds = aws_clock.calls, aws_clock.seconds
    # Without the time inside (moto's) storage calls: what the handler itself costs per certificate.
    own_mean = stages["worker"]["mean_ms"] - 1000 * aws_seconds / (count + 1)
    stages["worker_excluding_storage_calls"] = {"count": count, "per_s": round(1000 / own_mean, 2),
                                            "mean_ms": round(own_mean, 2)}
    aws = {"calls_per_certificate": round(sum(calls.values()) / (count + 1), 1),
           "moto_storage_ms_per_certificate": round(1000 * aws_seconds / (count + 1), 1),
           "calls_by_operation": {k: round(v / (count + 1), 2) for k, v in sorted(calls.items())}}
    issued = [store.get_request(CODE, r) for r in requests.values()]
    numbers = sorted(r.number for r in issued if r is not None and r.status == "issued")
    assert len(numbers) == count + 1 and len(set(numbers)) == count + 1, "every request issued, once each"
    return {
        "stages": stages,
        "ratios": {
            "render_vs_plain": round(stages["render"]["per_s"] / stages["plain_render"]["per_s"], 3),
            "render_sign_vs_plain_sign": round(stages["render_sign"]["per_s"] / stages["plain_render_sign"]["per_s"],
                                               3),
            "worker_vs_plain_sign": round(stages["worker"]["per_s"] / stages["plain_render_sign"]["per_s"], 3),
            "worker_excluding_storage_calls_vs_plain_sign": round(
                stages["worker_excluding_storage_calls"]["per_s"] / stages["plain_render_sign"]["per_s"], 3),
        },
        "aws_calls": aws,
        "pdf_bytes": sizes,
    }


def print_report(report: dict[str, Any]) -> None:
    labels = {"plain_render": "plain document, render", "render": "certificate, render",
              "plain_render_sign": "plain document, render + sign", "render_sign": "certificate, render + sign",
              "worker": "certificate, worker path (SQS event → stored)",
              "worker_excluding_storage_calls": "  the same without the time inside storage calls"}
    print(f"\ncertificates per second per core ({report['machine']['cpu']}, one thread; AWS = moto in-process)")
    for key, label in labels.items():
        s = report["stages"][key]
        if "p95_ms" not in s:
            print(f"  {label:<48} {s['per_s']:>8.1f}/s   mean {s['mean_ms']:>7.1f} ms")
            continue
        print(f"  {label:<48} {s['per_s']:>8.1f}/s   mean {s['mean_ms']:>7.1f} ms   p95 {s['p95_ms']:>7.1f} ms"
              f"   (first/last tenth {s['first_tenth_mean_ms']:.0f}/{s['last_tenth_mean_ms']:.0f} ms)")
    r = report["ratios"]
    print(f"  ratio render / plain                 {r['render_vs_plain']:.3f}")
    print(f"  ratio render+sign / plain+sign       {r['render_sign_vs_plain_sign']:.3f}")
    print(f"  ratio worker / plain+sign            {r['worker_vs_plain_sign']:.3f}")
    print(f"  ratio worker, no storage / plain+sign {r['worker_excluding_storage_calls_vs_plain_sign']:.3f}")
    a = report["aws_calls"]
    print(f"  AWS calls per certificate: {a['calls_per_certificate']} "
          f"({a['moto_storage_ms_per_certificate']} ms inside moto's DynamoDB/S3/SQS)")
    print(f"  PDF sizes: {report['pdf_bytes']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100, help="certificates per stage (after one warm-up)")
    args = parser.parse_args()
    # Before the handlers' Logger and Metrics exist: the figures, not per-certificate log lines.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    started = datetime.now()
    report = run(args.count)
    report["machine"] = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                         "python": platform.python_version()}
    report["measured_at"] = started.isoformat(timespec="seconds")
    report["seconds"] = round((datetime.now() - started) / timedelta(seconds=1), 1)
    OUT.mkdir(exist_ok=True)
    (OUT / "certificates.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
