"""The intake pipeline: from an S3 ObjectCreated event to residents stored and a finished job.

1. ``handle_object_created`` (upload_intake worker): find the job, verify size and SHA-256 while
   streaming the object once, detect the encoding, map the header and cut the file into chunks at
   record boundaries. A full upload reserves a new generation. Large full uploads fan their chunks
   out on the chunk queue; small ones and every delta are loaded right here, in file order.
2. ``load_chunk`` (upload_chunks worker, or inline): stream one byte range, validate every row,
   write the good rows, write the rejected ones to a report part, and add the counts to the job
   exactly once.
3. ``finish_job``: whoever records the last chunk finishes the job: checks that no person id was
   repeated (the generation holds as many persons as rows were stored), merges the report, and
   flips the municipality's current generation. Any whole-file failure leaves stored data untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from victim_support.audit import AuditLog
from victim_support.dynamo.writer import BulkWriter
from victim_support.errors import DomainError
from victim_support.intake.headers import map_headers
from victim_support.intake.jobs import UploadJobRepository, counters_update, job_key
from victim_support.intake.models import ChunkMessage, ChunkResult, UploadJob
from victim_support.intake.reader import iter_records
from victim_support.intake.reports import ReportStore, part_key, render_issues
from victim_support.intake.rows import ResidentRecord, RowIssue, RowValidator
from victim_support.intake.scan import scan_file
from victim_support.observability import logger, metrics
from victim_support.residents.repository import ACTIVE, REMOVED, ResidentRepository, partition, resident_item
from victim_support.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sqs.client import SQSClient

    from victim_support.rules.postal import PostalLookup

Outcome = Literal["ignored", "duplicate", "failed", "fanned_out", "loaded"]
PROGRESS_EVERY = 5_000
SYSTEM_ACTOR = "system:upload-intake"


class RetryLater(Exception):
    """The event cannot be handled yet; the queue redelivers it (and dead-letters it eventually)."""


@dataclass
class IntakeContext:
    s3: S3Client
    dynamodb: DynamoDBClient
    bulk_dynamodb: DynamoDBClient
    sqs: SQSClient
    jobs: UploadJobRepository
    tenants: TenantRepository
    residents: ResidentRepository
    reports: ReportStore
    audit: AuditLog
    postal: PostalLookup
    chunk_queue_url: str | None
    chunk_rows: int
    max_upload_bytes: int


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    size: int


def parse_object_key(key: str) -> tuple[str, str] | None:
    """``<code>/uploads/<upload id>/<file name>`` → (municipality code in the key, upload id)."""
    parts = key.split("/")
    if len(parts) < 4 or parts[1] != "uploads" or not parts[0] or not parts[2]:
        return None
    return parts[0], parts[2]


def owner_of(upload_id: str) -> str:
    """Upload ids begin with the code of the municipality that requested them."""
    return upload_id.split("-", 1)[0]


def handle_object_created(ctx: IntakeContext, ref: ObjectRef) -> Outcome:
    parsed = parse_object_key(ref.key)
    if parsed is None:
        logger.warning("object outside the upload layout ignored", extra={"object_key_depth": ref.key.count("/")})
        return "ignored"
    key_code, upload_id = parsed
    code = owner_of(upload_id)
    job = ctx.jobs.get(code, upload_id)
    if job is None:
        logger.warning("object for an unknown upload ignored", extra={"upload_id": upload_id})
        return "ignored"
    logger.append_keys(municipality_code=code, upload_id=upload_id)
    if not ctx.jobs.start_processing(code, upload_id):
        logger.info("upload already finished; event ignored")
        return "duplicate"
    generation: int | None = job.generation
    try:
        if key_code != code or ref.key != job.object_key:
            raise DomainError("FILE_WRONG_MUNICIPALITY", f"key municipality {key_code}, upload of {code}")
        if ref.size != job.size_bytes:
            raise DomainError("FILE_SIZE_MISMATCH", f"declared {job.size_bytes} bytes, received {ref.size}")
        if ref.size > ctx.max_upload_bytes:
            raise DomainError("FILE_TOO_LARGE", f"limit {ctx.max_upload_bytes} bytes")
        body = ctx.s3.get_object(Bucket=ref.bucket, Key=ref.key)["Body"]
        scan = scan_file(body, chunk_rows=ctx.chunk_rows)
        if scan.size != job.size_bytes:
            raise DomainError("FILE_SIZE_MISMATCH", f"declared {job.size_bytes} bytes, read {scan.size}")
        if scan.sha256.lower() != job.sha256.lower():
            raise DomainError("FILE_CHECKSUM_MISMATCH")
        map_headers(scan.header, job.kind)  # a missing column fails the file before anything is written
        if job.kind == "full" and generation is None:
            generation = ctx.tenants.begin_generation(code, upload_id)
        elif job.kind == "delta":
            _, loading = ctx.tenants.generation_pointer(code)
            if loading is not None:
                # A full upload is loading: applying the delta now would be lost at the flip.
                raise RetryLater("a full upload is loading")
        ctx.jobs.set_plan(code, upload_id, encoding=scan.encoding, rows_total=scan.records,
                          chunks_total=len(scan.chunks), generation=generation)
        chunk_encoding = "utf-8" if scan.encoding == "utf-8-sig" else scan.encoding
        messages = [
            ChunkMessage(
                municipality_code=code, upload_id=upload_id, bucket=ref.bucket, object_key=ref.key,
                encoding=chunk_encoding, chunk_index=chunk.index, byte_start=chunk.byte_start,
                byte_end=chunk.byte_end, first_line=chunk.first_line, rows=chunk.rows, header=list(scan.header),
            )
            for chunk in scan.chunks
        ]
        metrics.add_metric(name="UploadRows", unit="Count", value=scan.records)
        if job.kind == "full" and len(messages) > 1 and ctx.chunk_queue_url:
            _send_chunks(ctx.sqs, ctx.chunk_queue_url, messages)
            return "fanned_out"
        for message in messages:
            load_chunk(ctx, message)
        if not messages:
            finish_job(ctx, code, upload_id)
        return "loaded"
    except DomainError as error:
        fail_job(ctx, job, error, generation)
        return "failed"


def _send_chunks(sqs: SQSClient, queue_url: str, messages: list[ChunkMessage]) -> None:
    for start in range(0, len(messages), 10):
        batch = messages[start:start + 10]
        resp = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(m.chunk_index), "MessageBody": m.model_dump_json()} for m in batch],
        )
        if resp.get("Failed"):
            raise RuntimeError(f"{len(resp['Failed'])} chunk messages were not accepted")


def fail_job(ctx: IntakeContext, job: UploadJob, error: DomainError, generation: int | None) -> None:
    code, upload_id = job.municipality_code, job.upload_id
    if generation is not None and job.kind == "full":
        ctx.tenants.abandon_generation(code, generation)
    report = ctx.reports.put_failure(code, upload_id, error.code, error.detail)
    ctx.jobs.fail(code, upload_id, error.code, error.detail, report_key=report)
    ctx.audit.record(code, actor=SYSTEM_ACTOR, action="residents.upload.failed", target=upload_id,
                     reason=error.code, details={"kind": job.kind})
    metrics.add_metric(name="UploadsFailed", unit="Count", value=1)
    logger.info("upload failed", extra={"failure_code": error.code})


def load_chunk(ctx: IntakeContext, message: ChunkMessage) -> None:
    """Load one chunk and record it; the job finishes when its last chunk is recorded."""
    code, upload_id = message.municipality_code, message.upload_id
    job = ctx.jobs.get(code, upload_id)
    if job is None or job.status != "processing":
        logger.info("chunk of a job that is not processing ignored", extra={"upload_id": upload_id})
        return
    header_map = map_headers(message.header, job.kind)
    validator = RowValidator(header_map, job.kind, code, ctx.postal)
    body = ctx.s3.get_object(
        Bucket=message.bucket, Key=message.object_key, Range=f"bytes={message.byte_start}-{message.byte_end - 1}"
    )["Body"]
    records = iter_records(body, message.encoding, first_line=message.first_line)
    tally = _Tally()
    if job.kind == "full":
        assert job.generation is not None
        now = ctx.jobs.now()
        items = _valid_items(ctx, job, validator, records, tally, now)
        BulkWriter(ctx.bulk_dynamodb, ctx.residents.table_name).put_items(items)
        ctx.jobs.add_progress(code, upload_id, tally.since_progress)
        part = _put_report_part(ctx, code, upload_id, message.chunk_index, tally.issues)
        recorded = ctx.jobs.record_chunk(code, upload_id, tally.result(message.chunk_index, part))
        if not recorded:
            logger.info("chunk had been recorded already", extra={"chunk_index": message.chunk_index})
    else:
        _apply_delta(ctx, job, validator, records, tally)
        part = _put_report_part(ctx, code, upload_id, message.chunk_index, tally.issues)
        # Delta counts were added row by row; the receipt only marks the chunk as done.
        ctx.jobs.record_chunk(code, upload_id, ChunkResult(
            chunk_index=message.chunk_index, rows_read=0, rows_stored=0, rows_rejected=0,
            rows_with_warnings=0, error_codes={}, warning_codes={}, report_part_key=part,
        ))
    finish_job(ctx, code, upload_id)


class _Tally:
    """Counts and issues of one chunk (bounded by the chunk size, not the file size)."""

    def __init__(self) -> None:
        self.read = 0
        self.stored = 0
        self.rejected = 0
        self.warned = 0
        self.errors: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.issues: list[RowIssue] = []
        self.since_progress = 0

    def add(self, record: ResidentRecord | None, issues: list[RowIssue]) -> None:
        self.read += 1
        self.since_progress += 1
        if issues:
            self.issues.extend(issues)
        if record is None:
            self.rejected += 1
            self.errors.update(i.code for i in issues if not i.code.startswith("WARN_"))
        else:
            self.stored += 1
            warning_codes = [i.code for i in issues if i.code.startswith("WARN_")]
            if warning_codes:
                self.warned += 1
                self.warnings.update(warning_codes)

    def result(self, chunk_index: int, part: str | None) -> ChunkResult:
        return ChunkResult(
            chunk_index=chunk_index, rows_read=self.read, rows_stored=self.stored, rows_rejected=self.rejected,
            rows_with_warnings=self.warned, error_codes=dict(self.errors), warning_codes=dict(self.warnings),
            report_part_key=part,
        )


def _valid_items(ctx: IntakeContext, job: UploadJob, validator: RowValidator,
                 records: Iterator[tuple[int, list[str]]], tally: _Tally, now: str) -> Iterator[dict[str, Any]]:
    code, generation = job.municipality_code, job.generation
    assert generation is not None
    for line, fields in records:
        record, issues = validator.validate(line, fields)
        tally.add(record, issues)
        if record is not None:
            yield resident_item(code, generation, record, upload_id=job.upload_id, line=line, now=now)
        if tally.since_progress >= PROGRESS_EVERY:
            ctx.jobs.add_progress(code, job.upload_id, tally.since_progress)
            tally.since_progress = 0


def _put_report_part(ctx: IntakeContext, code: str, upload_id: str, index: int,
                     issues: list[RowIssue]) -> str | None:
    if not issues:
        return None
    key = part_key(code, upload_id, index)
    ctx.reports.put_part(key, render_issues(issues))
    return key


def _apply_delta(ctx: IntakeContext, job: UploadJob, validator: RowValidator,
                 records: Iterator[tuple[int, list[str]]], tally: _Tally) -> None:
    """Apply a delta's rows in file order, each with a checkpoint in the same transaction, so a
    redelivered upload skips what it applied before and a replay changes nothing."""
    code, upload_id = job.municipality_code, job.upload_id
    current, _ = ctx.tenants.generation_pointer(code)
    checkpoint = job.delta_line
    now = ctx.jobs.now()
    for line, fields in records:
        if line <= checkpoint:
            continue
        record, issues = validator.validate(line, fields)
        tally.add(record, issues)
        if record is not None:
            outcome = _apply_change(ctx, code, upload_id, current, record, line, issues, now)
            if outcome is not None:  # the change was refused by the stored state: a rejected row
                tally.issues.append(outcome)
                tally.stored -= 1
                tally.rejected += 1
                tally.errors[outcome.code] += 1
                _checkpoint(ctx, code, upload_id, line, [outcome], now)
        else:
            _checkpoint(ctx, code, upload_id, line, issues, now)
        if tally.since_progress >= PROGRESS_EVERY:
            ctx.jobs.add_progress(code, upload_id, tally.since_progress)
            tally.since_progress = 0
    ctx.jobs.add_progress(code, upload_id, tally.since_progress)


def _checkpoint_update(code: str, upload_id: str, table: str, line: int, stored: bool,
                       issues: list[RowIssue], now: str) -> dict[str, Any]:
    errors = Counter(i.code for i in issues if not i.code.startswith("WARN_"))
    warnings = Counter(i.code for i in issues if i.code.startswith("WARN_"))
    expression, names, values = counters_update(
        1, int(stored), int(not stored), int(stored and bool(warnings)), dict(errors), dict(warnings), now
    )
    expression = expression.replace("SET ", "SET delta_line = :line, ", 1)
    values[":line"] = {"N": str(line)}
    return {"TableName": table, "Key": job_key(code, upload_id), "UpdateExpression": expression,
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            "ConditionExpression": "delta_line < :line"}


def _checkpoint(ctx: IntakeContext, code: str, upload_id: str, line: int, issues: list[RowIssue],
                now: str) -> None:
    """Count a rejected delta row and move the checkpoint past it."""
    update = _checkpoint_update(code, upload_id, ctx.jobs.table_name, line, False, issues, now)
    try:
        ctx.dynamodb.update_item(**update)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _apply_change(ctx: IntakeContext, code: str, upload_id: str, generation: int, record: ResidentRecord,
                  line: int, issues: list[RowIssue], now: str) -> RowIssue | None:
    """One delta row and its checkpoint in one transaction. Returns the issue when the stored state
    refuses the change (unknown person, person exists), None when applied or applied before."""
    table = ctx.residents.table_name
    key = {"pk": {"S": partition(code, generation)}, "sk": {"S": record["person_id"]}}
    status = {"#st": "status"}
    change: dict[str, Any]
    if record["change_type"] == "remove":
        change = {"Update": {
            "TableName": table, "Key": key,
            "UpdateExpression": "SET #st = :removed, change_date = :date, upload_id = :upload, updated_at = :now",
            "ConditionExpression": "attribute_exists(sk) AND #st = :active",
            "ExpressionAttributeNames": status,
            "ExpressionAttributeValues": {":removed": {"S": REMOVED}, ":active": {"S": ACTIVE},
                                          ":date": {"S": record["change_date"] or ""},
                                          ":upload": {"S": upload_id}, ":now": {"S": now}},
        }}
        refusal = "ROW_UNKNOWN_PERSON"
    else:
        item = resident_item(code, generation, record, upload_id=upload_id, line=line, now=now)
        if record["change_type"] == "add":
            # A person who moved away and came back (removed) may be added again.
            condition = "attribute_not_exists(sk) OR #st = :removed"
            refusal = "ROW_PERSON_EXISTS"
            values = {":removed": {"S": REMOVED}}
        else:
            condition = "attribute_exists(sk) AND #st = :active"
            refusal = "ROW_UNKNOWN_PERSON"
            values = {":active": {"S": ACTIVE}}
        change = {"Put": {"TableName": table, "Item": item, "ConditionExpression": condition,
                          "ExpressionAttributeNames": status, "ExpressionAttributeValues": values}}
    checkpoint = {"Update": _checkpoint_update(code, upload_id, ctx.jobs.table_name, line, True, issues, now)}
    try:
        ctx.dynamodb.transact_write_items(TransactItems=[change, checkpoint])  # type: ignore[list-item]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = exc.response.get("CancellationReasons", [])
        codes = [r.get("Code") for r in reasons]
        if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
            return None  # checkpoint already past this line: applied by an earlier delivery
        if codes and codes[0] == "ConditionalCheckFailed":
            return RowIssue(line=line, column="person_id", code=refusal)
        raise
    return None


def finish_job(ctx: IntakeContext, code: str, upload_id: str) -> None:
    """Finish a job whose chunks have all reported (exactly one caller wins the claim)."""
    if not ctx.jobs.claim_finalize(code, upload_id):
        return
    job = ctx.jobs.get(code, upload_id)
    assert job is not None
    report = ctx.reports.merge(code, upload_id, ctx.jobs.chunk_report_keys(code, upload_id))
    if job.rows_read != job.rows_stored + job.rows_rejected:
        raise AssertionError("rows read must equal rows stored plus rows rejected")
    if job.kind == "full":
        assert job.generation is not None
        persons = ctx.residents.count(code, job.generation)
        if persons != job.rows_stored:
            error = DomainError("FILE_DUPLICATE_PERSON_ID",
                                f"{job.rows_stored - persons} rows repeat a person id already in the file")
            fail_job(ctx, job, error, job.generation)
            return
        previous = ctx.tenants.flip_generation(code, job.generation)
        ctx.audit.record(code, actor=SYSTEM_ACTOR, action="residents.generation.flipped", target=upload_id,
                         reason="full upload loaded",
                         details={"generation": job.generation, "previous_generation": previous,
                                  "rows_stored": job.rows_stored})
    ctx.jobs.succeed(code, upload_id, report)
    ctx.audit.record(code, actor=SYSTEM_ACTOR, action="residents.upload.succeeded", target=upload_id,
                     reason=f"{job.kind} upload", details={
                         "kind": job.kind, "rows_read": job.rows_read, "rows_stored": job.rows_stored,
                         "rows_rejected": job.rows_rejected})
    metrics.add_metric(name="UploadsSucceeded", unit="Count", value=1)
    metrics.add_metric(name="ResidentRowsStored", unit="Count", value=job.rows_stored)
