"""Upload intake against the real topology on moto: staff API → S3 → queue → workers → DynamoDB."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.conftest import CHIYODA, MASHIKI, Cloud, csv_bytes, digest
from tests.integration.lambda_context import FakeContext

EVENTS = Path(__file__).resolve().parents[2] / "events"
HEADER_JA = ["宛名番号", "世帯番号", "氏名", "氏名カナ", "生年月日", "性別", "続柄", "郵便番号", "住所", "方書",
             "電話番号", "要配慮者区分", "支援措置"]
DELTA_HEADER = [*HEADER_JA, "異動区分", "異動日"]
ADDRESS = "熊本県上益城郡益城町大字木山1番地"


def person(pid: str, household: str = "1", name: str = "益城　太郎", kana: str = "マシキ　タロウ",
           birth: str = "S45.3.12", sex: str = "1", rel: str = "世帯主", postal: str = "861-2242") -> list[str]:
    return [pid, household, name, kana, birth, sex, rel, postal, ADDRESS, "", "096-286-3111", "", ""]


def api_event(name: str, *, code: str | None = MASHIKI, groups: str = "staff", body: Any = None,
              path: str | None = None, path_params: dict[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "staff_api" / f"{name}.json").read_text())
    event = copy.deepcopy(event)
    claims = event["requestContext"]["authorizer"]["claims"]
    claims["cognito:groups"] = groups
    if code is None:
        claims.pop("custom:municipality_code", None)
    else:
        claims["custom:municipality_code"] = code
    if body is not None:
        event["body"] = json.dumps(body, ensure_ascii=False)
    if path is not None:
        event["path"] = path
        event["pathParameters"] = path_params
    return event


def call_api(event: dict[str, Any]) -> tuple[int, Any]:
    from functions.staff_api.handler import lambda_handler

    resp = lambda_handler(event, FakeContext())
    return resp["statusCode"], json.loads(resp["body"]) if resp.get("body") else None


def register(code: str = MASHIKI) -> None:
    event = api_event("post_uploads", code=None, groups="operators", body={
        "population": 33_000, "pattern": "B", "uses_bcl_issuance_server": False, "start_month": "2026-04"})
    event.update(httpMethod="PUT", resource="/municipalities/{code}", path=f"/municipalities/{code}",
                 pathParameters={"code": code})
    status, body = call_api(event)
    assert status == 200, body


def start_upload(data: bytes, kind: str = "full", code: str = MASHIKI, filename: str = "住民データ 全件.csv",
                 declared_size: int | None = None, declared_sha: str | None = None) -> dict[str, Any]:
    status, ticket = call_api(api_event("post_uploads", code=code, body={
        "kind": kind, "filename": filename, "size_bytes": declared_size or len(data),
        "sha256": declared_sha or digest(data)}))
    assert status == 201, ticket
    return ticket  # type: ignore[no-any-return]


def put(cloud: Cloud, ticket: dict[str, Any], data: bytes, key: str | None = None) -> None:
    """PUT through the presigned URL over real HTTP, the way a municipality's browser does."""
    if key is None:
        headers = dict(ticket["headers"])
        headers["Content-Length"] = str(len(data))
        resp = requests.put(ticket["url"], data=data, headers=headers, timeout=30)
        assert resp.status_code == 200, resp.text
    else:
        cloud.clients.s3.put_object(Bucket=cloud.bucket("uploads"), Key=key, Body=data)


def run_workers(cloud: Cloud) -> None:
    from functions.upload_intake.chunks import lambda_handler as chunk_handler
    from functions.upload_intake.handler import lambda_handler as intake_handler

    cloud.drain("upload_events", intake_handler)
    cloud.drain("upload_chunks", chunk_handler)


def status_of(upload_id: str, code: str = MASHIKI) -> dict[str, Any]:
    status, body = call_api(api_event("get_upload", code=code, path=f"/uploads/{upload_id}",
                                      path_params={"upload_id": upload_id}))
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def upload(cloud: Cloud, data: bytes, kind: str = "full", **kwargs: Any) -> dict[str, Any]:
    ticket = start_upload(data, kind, **kwargs)
    put(cloud, ticket, data)
    run_workers(cloud)
    return status_of(ticket["upload_id"])


def current_generation(code: str = MASHIKI) -> int:
    from victim_support import wiring

    return wiring.tenants().require(code).current_generation


def resident(person_id: str, code: str = MASHIKI) -> dict[str, Any] | None:
    from victim_support import wiring

    return wiring.intake_context().residents.get(code, current_generation(code), person_id)


def report_rows(status: dict[str, Any]) -> list[dict[str, str]]:
    text = requests.get(status["report_url"], timeout=10).content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_full_upload_with_good_and_bad_rows_stores_the_good_and_reports_the_bad(cloud: Cloud) -> None:
    register()
    rows = [HEADER_JA, person("1001"), person("1002", name="益城　花子", kana="ﾏｼｷ ﾊﾅｺ", sex="2", rel="妻"),
            person("1003", birth="平成32年1月1日"), person("1004", postal="100-0001"), person("1005", sex="X")]
    status = upload(cloud, csv_bytes(rows))

    assert status["status"] == "succeeded"
    assert (status["rows_read"], status["rows_stored"], status["rows_rejected"]) == (5, 2, 3)
    assert status["rows_read"] == status["rows_stored"] + status["rows_rejected"]
    assert status["error_codes"] == {"ROW_BIRTH_DATE": 1, "ROW_POSTAL_CODE_MUNICIPALITY": 1, "ROW_SEX": 1}
    assert status["progress"] == {"rows_done": 5, "rows_total": 5, "percent": 100.0}
    lines = {(r["line"], r["code"]) for r in report_rows(status)}
    assert lines == {("4", "ROW_BIRTH_DATE"), ("5", "ROW_POSTAL_CODE_MUNICIPALITY"), ("6", "ROW_SEX")}
    stored = resident("1002")
    assert stored is not None and stored["name_kana"] == "マシキ　ハナコ" and stored["birth_date"] == "1970-03-12"


def test_large_full_upload_fans_out_chunks_and_flips_generation_only_when_all_are_in(cloud: Cloud) -> None:
    from functions.upload_intake.chunks import lambda_handler as chunk_handler
    from functions.upload_intake.handler import lambda_handler as intake_handler

    register()
    first = upload(cloud, csv_bytes([HEADER_JA, person("1")]))
    assert first["status"] == "succeeded"
    generation_before = current_generation()

    rows = [HEADER_JA] + [person(str(i), household=str(i // 3)) for i in range(1, 651)]
    data = csv_bytes(rows)
    ticket = start_upload(data)
    put(cloud, ticket, data)
    cloud.drain("upload_events", intake_handler)

    pending = status_of(ticket["upload_id"])
    assert pending["status"] == "processing"
    assert pending["progress"]["rows_total"] == 650
    assert current_generation() == generation_before  # readers still see the previous generation

    assert cloud.drain("upload_chunks", chunk_handler) == 4  # 650 rows in chunks of 200
    done = status_of(ticket["upload_id"])
    assert done["status"] == "succeeded" and done["rows_stored"] == 650
    assert current_generation() == generation_before + 1
    assert resident("650") is not None


def test_redelivered_chunk_is_counted_once(cloud: Cloud) -> None:
    from victim_support import wiring
    from victim_support.intake.models import ChunkMessage
    from victim_support.intake.pipeline import load_chunk

    register()
    data = csv_bytes([HEADER_JA] + [person(str(i)) for i in range(1, 451)])
    ticket = start_upload(data)
    put(cloud, ticket, data)
    from functions.upload_intake.handler import lambda_handler as intake_handler

    cloud.drain("upload_events", intake_handler)
    sqs = cloud.clients.sqs
    messages = sqs.receive_message(QueueUrl=cloud.queue_url("upload_chunks"), MaxNumberOfMessages=10)["Messages"]
    first = ChunkMessage.model_validate_json(messages[0]["Body"])
    load_chunk(wiring.intake_context(), first)
    load_chunk(wiring.intake_context(), first)  # the same chunk again, past the idempotency layer
    job = wiring.jobs().get(MASHIKI, ticket["upload_id"])
    assert job is not None and job.chunks_done == 1 and job.rows_read == first.rows


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\r\n\r\n", "FILE_EMPTY"),
        ("宛名番号,世帯番号\r\n1,1\r\n".encode("cp932"), "FILE_MISSING_COLUMNS"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "FILE_NOT_CSV"),
        (b"\x81 ,\x82 \r\n\x81 ,\x82 \r\n", "FILE_ENCODING_UNKNOWN"),
    ],
    ids=["empty", "missing-columns", "binary", "unknown-encoding"],
)
def test_whole_file_failures_leave_stored_residents_untouched(cloud: Cloud, content: bytes, expected: str) -> None:
    register()
    assert upload(cloud, csv_bytes([HEADER_JA, person("7")]))["status"] == "succeeded"
    generation = current_generation()
    status = upload(cloud, content)
    assert status["status"] == "failed"
    assert status["failure_code"] == expected
    assert status["failure_message_ja"]
    assert current_generation() == generation and resident("7") is not None
    assert report_rows(status)[0]["code"] == expected


def test_header_only_file_is_an_empty_file(cloud: Cloud) -> None:
    register()
    status = upload(cloud, csv_bytes([HEADER_JA]))
    assert (status["status"], status["failure_code"]) == ("failed", "FILE_EMPTY")


def test_size_and_checksum_mismatches_fail_the_file(cloud: Cloud) -> None:
    register()
    data = csv_bytes([HEADER_JA, person("1")])
    ticket = start_upload(data)
    put(cloud, ticket, data + b"\r\n", key=ticket["object_key"])  # bypass the signed length
    run_workers(cloud)
    assert status_of(ticket["upload_id"])["failure_code"] == "FILE_SIZE_MISMATCH"

    tampered = data.replace(b"096-286-3111", b"096-286-3112")
    ticket = start_upload(data)
    put(cloud, ticket, tampered, key=ticket["object_key"])
    run_workers(cloud)
    assert status_of(ticket["upload_id"])["failure_code"] == "FILE_CHECKSUM_MISMATCH"


def test_duplicate_person_ids_fail_a_full_file_and_keep_the_previous_generation(cloud: Cloud) -> None:
    register()
    assert upload(cloud, csv_bytes([HEADER_JA, person("1")]))["status"] == "succeeded"
    generation = current_generation()
    status = upload(cloud, csv_bytes([HEADER_JA, person("5"), person("6"), person("5")]))
    assert (status["status"], status["failure_code"]) == ("failed", "FILE_DUPLICATE_PERSON_ID")
    assert current_generation() == generation
    assert resident("5") is None and resident("1") is not None


def test_object_under_another_municipality_prefix_fails_as_wrong_municipality(cloud: Cloud) -> None:
    register()
    register(CHIYODA)
    data = csv_bytes([HEADER_JA, person("1")])
    ticket = start_upload(data)
    wrong_key = ticket["object_key"].replace(f"{MASHIKI}/", f"{CHIYODA}/", 1)
    put(cloud, ticket, data, key=wrong_key)
    run_workers(cloud)
    assert status_of(ticket["upload_id"])["failure_code"] == "FILE_WRONG_MUNICIPALITY"


def test_delta_applies_adds_updates_and_removals_in_order_and_replay_changes_nothing(cloud: Cloud) -> None:
    register()
    assert upload(cloud, csv_bytes([HEADER_JA, person("1"), person("2", name="益城　次郎", kana="マシキ　ジロウ")]))[
        "status"] == "succeeded"
    delta = csv_bytes([
        DELTA_HEADER,
        [*person("3", name="益城　三郎", kana="マシキ　サブロウ"), "追加", "R7.11.1"],
        [*person("3", name="益城　三郎", kana="マシキ　サブロウ", rel="子"), "更新", "R7.11.2"],
        [*person("2", name="益城　次郎", kana="マシキ　ジロウ"), "削除", "令和7年11月3日"],
        [*person("99"), "更新", "2025-11-04"],
        [*person("1"), "追加", "2025-11-05"],
    ])
    status = upload(cloud, delta, kind="delta", filename="異動.csv")
    assert status["status"] == "succeeded"
    assert (status["rows_read"], status["rows_stored"], status["rows_rejected"]) == (5, 3, 2)
    assert status["error_codes"] == {"ROW_UNKNOWN_PERSON": 1, "ROW_PERSON_EXISTS": 1}
    third = resident("3")
    assert third is not None and third["relationship"] == "子"  # the update came after the add
    second = resident("2")
    assert second is not None and second["status"] == "removed"

    # The same file uploaded again: only the update re-applies, with the content it already has.
    again = upload(cloud, delta, kind="delta", filename="異動.csv")
    assert (again["rows_stored"], again["rows_rejected"]) == (1, 4)
    replayed = resident("3")
    assert replayed is not None
    assert {k: v for k, v in replayed.items() if k not in ("upload_id", "updated_at", "applied")} == {
        k: v for k, v in third.items() if k not in ("upload_id", "updated_at", "applied")}
    assert resident("2")["status"] == "removed"  # type: ignore[index]


def test_redelivered_s3_event_does_not_process_a_finished_upload_again(cloud: Cloud) -> None:
    from functions.upload_intake.handler import lambda_handler as intake_handler

    register()
    data = csv_bytes([HEADER_JA, person("1")])
    ticket = start_upload(data)
    put(cloud, ticket, data)
    sqs = cloud.clients.sqs
    url = cloud.queue_url("upload_events")
    body = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"][0]["Body"]
    sqs.send_message(QueueUrl=url, MessageBody=body)  # S3 delivers at least once
    cloud.drain("upload_events", intake_handler)
    status = status_of(ticket["upload_id"])
    assert status["status"] == "succeeded" and status["rows_read"] == 1


def test_s3_test_event_is_skipped(cloud: Cloud) -> None:
    from functions.upload_intake.handler import lambda_handler as intake_handler

    event = json.loads((EVENTS / "upload_intake" / "s3_test_event.json").read_text())
    assert intake_handler(event, FakeContext()) == {"batchItemFailures": []}


def test_uploads_of_another_municipality_are_invisible(cloud: Cloud) -> None:
    register()
    register(CHIYODA)
    data = csv_bytes([HEADER_JA, person("1")])
    ticket = start_upload(data)
    status, body = call_api(api_event("get_upload", code=CHIYODA, path=f"/uploads/{ticket['upload_id']}",
                                      path_params={"upload_id": ticket["upload_id"]}))
    assert (status, body["code"]) == (404, "UPLOAD_NOT_FOUND")


def test_municipality_in_the_body_is_refused_it_comes_from_the_claims(cloud: Cloud) -> None:
    register()
    status, body = call_api(api_event("post_uploads", body={
        "kind": "full", "filename": "a.csv", "size_bytes": 10, "sha256": "0" * 64, "municipality_code": CHIYODA}))
    assert (status, body["code"]) == (422, "VALIDATION_ERROR")


def test_staff_without_a_municipality_claim_is_forbidden_and_only_operators_register(cloud: Cloud) -> None:
    status, body = call_api(api_event("post_uploads", code=None, body={
        "kind": "full", "filename": "a.csv", "size_bytes": 10, "sha256": "0" * 64}))
    assert (status, body["code"]) == (403, "FORBIDDEN")
    event = api_event("post_uploads", body={"population": 1, "pattern": "B", "uses_bcl_issuance_server": False,
                                             "start_month": "2026-04"})
    event.update(httpMethod="PUT", resource="/municipalities/{code}", path=f"/municipalities/{MASHIKI}",
                 pathParameters={"code": MASHIKI})
    status, body = call_api(event)
    assert (status, body["code"]) == (403, "FORBIDDEN")


def test_registering_a_code_with_a_wrong_check_digit_is_refused(cloud: Cloud) -> None:
    event = api_event("post_uploads", code=None, groups="operators", body={
        "population": 33_000, "pattern": "B", "uses_bcl_issuance_server": False, "start_month": "2026-04"})
    event.update(httpMethod="PUT", resource="/municipalities/{code}", path="/municipalities/434435",
                 pathParameters={"code": "434435"})
    status, body = call_api(event)
    assert (status, body["code"]) == (422, "MUNICIPALITY_CODE_INVALID")


def test_every_upload_step_is_in_the_audit_trail(cloud: Cloud) -> None:
    from victim_support import wiring

    register()
    upload(cloud, csv_bytes([HEADER_JA, person("1")]))
    actions = {e["action"] for e in wiring.audit().events(MASHIKI)}
    assert {"municipality.registered", "residents.upload.requested", "residents.generation.flipped",
            "residents.upload.succeeded"} <= actions


def test_delta_interrupted_midway_resumes_and_counts_every_row_once(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from victim_support.intake import pipeline

    from functions.upload_intake.handler import lambda_handler as intake_handler

    register()
    assert upload(cloud, csv_bytes([HEADER_JA, person("1"), person("2")]))["status"] == "succeeded"
    delta = csv_bytes([
        DELTA_HEADER,
        *[[*person(str(100 + i)), "追加", "R7.11.1"] for i in range(5)],
        [*person("2"), "削除", "R7.11.2"],
        [*person("1", rel="子"), "更新", "R7.11.3"],
        [*person("100", rel="子"), "更新", "R7.11.4"],
        [*person("999"), "削除", "R7.11.5"],
    ])
    monkeypatch.setattr(pipeline, "DELTA_CHECKPOINT_EVERY", 3)
    real_apply = pipeline._apply_change
    calls = {"n": 0}

    def crash_once(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 5:  # after the first checkpoint (line 4), before the second
            raise RuntimeError("the worker died")
        return real_apply(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_apply_change", crash_once)
    ticket = start_upload(delta, "delta", filename="異動.csv")
    put(cloud, ticket, delta)
    sqs = cloud.clients.sqs
    url = cloud.queue_url("upload_events")
    body = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"][0]["Body"]
    cloud.drain("upload_events", intake_handler)  # the first delivery dies midway; SQS redelivers it
    assert status_of(ticket["upload_id"])["status"] == "processing"
    sqs.send_message(QueueUrl=url, MessageBody=body)
    cloud.drain("upload_events", intake_handler)

    status = status_of(ticket["upload_id"])
    assert status["status"] == "succeeded"
    assert (status["rows_read"], status["rows_stored"], status["rows_rejected"]) == (9, 8, 1)
    assert status["error_codes"] == {"ROW_UNKNOWN_PERSON": 1}
    assert resident("104") is not None and resident("2")["status"] == "removed"  # type: ignore[index]
    assert resident("100")["relationship"] == "子"  # type: ignore[index]


def _drain_purges(cloud: Cloud) -> int:
    from functions.upload_intake.purge import lambda_handler as purge_handler

    return cloud.drain("residents_purge", purge_handler)


def _persons_in(generation: int) -> int:
    from victim_support import wiring

    return wiring.intake_context().residents.count(MASHIKI, generation)


def test_a_flip_keeps_the_previous_generation_and_purges_the_one_before(cloud: Cloud) -> None:
    register()
    generations = []
    for i in range(3):
        assert upload(cloud, csv_bytes([HEADER_JA, person(str(i + 1)), person(str(i + 10))]))["status"] == "succeeded"
        generations.append(current_generation())
    assert _drain_purges(cloud) == 1
    first, second, third = generations
    assert (_persons_in(first), _persons_in(second), _persons_in(third)) == (0, 2, 2)

    from victim_support import wiring

    purged = [e for e in wiring.audit().events(MASHIKI) if e["action"] == "residents.generation.purged"]
    assert [(e["details"]["generation"], e["details"]["deleted"]) for e in purged] == [(first, 2)]


def test_a_failed_full_upload_leaves_no_residents_behind(cloud: Cloud) -> None:
    register()
    assert upload(cloud, csv_bytes([HEADER_JA, person("1")]))["status"] == "succeeded"
    kept = current_generation()
    status = upload(cloud, csv_bytes([HEADER_JA] + [person(str(i)) for i in range(1, 300)] + [person("5")]))
    assert status["failure_code"] == "FILE_DUPLICATE_PERSON_ID"
    from victim_support import wiring

    failed_generation = wiring.jobs().get(MASHIKI, status["upload_id"]).generation  # type: ignore[union-attr]
    assert failed_generation is not None and _persons_in(failed_generation) == 299
    assert _drain_purges(cloud) == 1
    assert _persons_in(failed_generation) == 0
    assert current_generation() == kept and _persons_in(kept) == 1


def test_purge_never_touches_the_generation_in_use(cloud: Cloud) -> None:
    from victim_support import wiring
    from victim_support.residents.purge import PurgeRequest, purge_generation

    register()
    assert upload(cloud, csv_bytes([HEADER_JA, person("1")]))["status"] == "succeeded"
    ctx = wiring.intake_context()
    done = purge_generation(
        PurgeRequest(municipality_code=MASHIKI, generation=current_generation(), reason="mistake"),
        client=ctx.dynamodb, bulk_client=ctx.bulk_dynamodb, table=ctx.residents.table_name,
        tenants=ctx.tenants, audit=ctx.audit, has_time=lambda: True,
    )
    assert done and _persons_in(current_generation()) == 1
