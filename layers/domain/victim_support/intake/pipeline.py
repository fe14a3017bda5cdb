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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from victim_support.audit import AuditLog
from victim_support.dynamo.writer import BulkWriter
from victim_support.errors import DomainError
from victim_support.intake.headers import map_headers
from victim_support.intake.jobs import UploadJobRepository
from victim_support.intake.models import ChunkMessage, ChunkResult, UploadJob
from victim_support.intake.reader import iter_records
from victim_support.intake.reports import ReportStore, part_key, render_issues
from victim_support.intake.rows import ResidentRecord, ResidentRow, RowIssue, RowValidator
from victim_support.intake.scan import scan_file
from victim_support.observability import logger, metrics
from victim_support.residents.purge import PurgeRequest, request_purge
from victim_support.residents.repository import ACTIVE, REMOVED, ResidentRepository, partition
from victim_support.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sqs.client import SQSClient

    from victim_support.rules.postal import PostalLookup

Outcome = Literal["ignored", "duplicate", "failed", "fanned_out", "loaded"]
PROGRESS_EVERY = 5_000
DELTA_CHECKPOINT_EVERY = 250
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
    purge_queue_url: str | None
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
        _purge(ctx, code, generation, f"upload {upload_id} failed: {error.code}")
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


@dataclass(frozen=True)
class _Counts:
    read: int
    stored: int
    rejected: int
    warned: int
    errors: Counter[str]
    warnings: Counter[str]


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

    def add(self, record: ResidentRecord | ResidentRow | None, issues: Sequence[RowIssue]) -> None:
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

    def snapshot(self) -> _Counts:
        return _Counts(self.read, self.stored, self.rejected, self.warned, Counter(self.errors),
                       Counter(self.warnings))

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
    pk = partition(code, generation)
    for lines, rows, issues in validator.validate_batches(records):  # column-wise; tuples, no dicts
        for line, row, row_issues in zip(lines, rows, issues, strict=True):
            tally.add(row, row_issues)
            if row is not None:
                yield row_item(pk, row, upload_id=job.upload_id, line=line, now=now)
            if tally.since_progress >= PROGRESS_EVERY:
                ctx.jobs.add_progress(code, job.upload_id, tally.since_progress)
                tally.since_progress = 0


def row_item(pk: str, row: ResidentRow, *, upload_id: str, line: int, now: str) -> dict[str, Any]:
    """``resident_item(code, generation, record_of(row), ...)`` built straight from the row, without
    the record dict (``pk`` is ``partition(code, generation)``): the bulk loader's hot path."""
    (person_id, household_id, name, name_kana, birth_date, sex, relationship, postal_code, address,
     address_extra, phone, care_needs, protected, _change_type, change_date) = row  # fmt: skip
    item: dict[str, Any] = {
        "pk": {"S": pk},
        "sk": {"S": person_id},
        "household_id": {"S": household_id},
        "name": {"S": name},
        "name_kana": {"S": name_kana},
        "birth_date": {"S": birth_date},
        "sex": {"S": sex},
        "relationship": {"S": relationship},
        "address": {"S": address},
        "protected": {"BOOL": protected},
        "status": {"S": ACTIVE},
        "upload_id": {"S": upload_id},
        "line": {"N": str(line)},
        "updated_at": {"S": now},
    }
    if postal_code:
        item["postal_code"] = {"S": postal_code}
    if address_extra:
        item["address_extra"] = {"S": address_extra}
    if phone:
        item["phone"] = {"S": phone}
    if care_needs:
        item["care_needs"] = {"L": [{"S": need} for need in care_needs]}
    if change_date:
        item["change_date"] = {"S": change_date}
    return item


def _put_report_part(ctx: IntakeContext, code: str, upload_id: str, index: int,
                     issues: list[RowIssue]) -> str | None:
    if not issues:
        return None
    key = part_key(code, upload_id, index)
    ctx.reports.put_part(key, render_issues(issues))
    return key


def _apply_delta(ctx: IntakeContext, job: UploadJob, validator: RowValidator,
                 records: Iterator[tuple[int, list[str]]], tally: _Tally) -> None:
    """Apply a delta's rows in file order.

    Each change is one conditional write that also marks the item with "<upload id>:<line>", and the
    job's counters move forward with a checkpoint (``delta_line``) every few hundred rows. A
    redelivered upload resumes after the checkpoint and recognises the rows it had applied since by
    their mark, so they are counted once and changed once; uploading the same file again changes
    nothing. (No transactions: they would double the write cost of every row.)
    """
    code, upload_id = job.municipality_code, job.upload_id
    current, _ = ctx.tenants.generation_pointer(code)
    now = ctx.jobs.now()
    counted = tally.snapshot()
    last_line = job.delta_line
    for line, fields in records:
        if line <= job.delta_line:
            continue
        record, issues = validator.validate(line, fields)
        if record is not None:
            refusal = _apply_change(ctx, code, upload_id, current, record, line, now)
            if refusal is not None:  # the stored state refuses the change: a rejected row
                record, issues = None, [*issues, refusal]
        tally.add(record, issues)
        last_line = line
        if tally.read - counted.read >= DELTA_CHECKPOINT_EVERY:
            counted = _checkpoint(ctx, code, upload_id, last_line, tally, counted)
    if tally.read > counted.read:
        _checkpoint(ctx, code, upload_id, last_line, tally, counted)


def _checkpoint(ctx: IntakeContext, code: str, upload_id: str, line: int, tally: _Tally,
                counted: _Counts) -> _Counts:
    """Add what was counted since the last checkpoint and move the checkpoint to ``line``."""
    now = tally.snapshot()
    ctx.jobs.add_delta_counts(
        code, upload_id, line,
        rows_read=now.read - counted.read, rows_stored=now.stored - counted.stored,
        rows_rejected=now.rejected - counted.rejected, rows_with_warnings=now.warned - counted.warned,
        error_codes=dict(now.errors - counted.errors), warning_codes=dict(now.warnings - counted.warnings),
    )
    ctx.jobs.add_progress(code, upload_id, now.read - counted.read)
    return now


_OPTIONAL = ("postal_code", "address_extra", "phone", "care_needs", "change_date")
_REQUIRED = ("household_id", "name", "name_kana", "birth_date", "sex", "relationship", "address")


def _change_expression(record: ResidentRecord, upload_id: str, line: int,
                       now: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    names = {"#st": "status", "#line": "line"}
    values: dict[str, Any] = {":upload": {"S": upload_id}, ":line": {"N": str(line)}, ":now": {"S": now},
                              ":mark": {"SS": [f"{upload_id}:{line}"]}}
    sets = ["upload_id = :upload", "#line = :line", "updated_at = :now"]
    removes: list[str] = []
    if record["change_type"] == "remove":
        sets += ["#st = :removed"]
        values[":removed"] = {"S": REMOVED}
        if record["change_date"]:
            sets.append("change_date = :change_date")
            values[":change_date"] = {"S": record["change_date"]}
    else:
        sets += ["#st = :active", "protected = :protected"]
        values[":active"] = {"S": ACTIVE}
        values[":protected"] = {"BOOL": record["protected"]}
        for field in _REQUIRED:
            names[f"#{field}"] = field
            sets.append(f"#{field} = :{field}")
            values[f":{field}"] = {"S": record[field]}  # type: ignore[literal-required]
        for field in _OPTIONAL:
            value = record[field]  # type: ignore[literal-required]
            if value:
                sets.append(f"{field} = :{field}")
                values[f":{field}"] = {"L": [{"S": v} for v in value]} if field == "care_needs" else {"S": value}
            else:
                removes.append(field)  # an update that leaves a field empty clears it
    expression = "SET " + ", ".join(sets) + " ADD applied :mark"
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    return expression, names, values


def _apply_change(ctx: IntakeContext, code: str, upload_id: str, generation: int, record: ResidentRecord,
                  line: int, now: str) -> RowIssue | None:
    """One delta row as one conditional write. Returns the issue when the stored state refuses the
    change (unknown person, person exists); None when applied now or by an earlier delivery."""
    expression, names, values = _change_expression(record, upload_id, line, now)
    if record["change_type"] == "add":
        # A person who moved away and came back (removed) may be added again.
        condition, refusal = "attribute_not_exists(sk) OR #st = :removed_state", "ROW_PERSON_EXISTS"
        values[":removed_state"] = {"S": REMOVED}
    else:
        condition, refusal = "attribute_exists(sk) AND #st = :active_state", "ROW_UNKNOWN_PERSON"
        values[":active_state"] = {"S": ACTIVE}
    try:
        ctx.dynamodb.update_item(
            TableName=ctx.residents.table_name,
            Key={"pk": {"S": partition(code, generation)}, "sk": {"S": record["person_id"]}},
            UpdateExpression=expression, ConditionExpression=condition,
            ExpressionAttributeNames=names, ExpressionAttributeValues=values,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        old = exc.response.get("Item", {})
        if f"{upload_id}:{line}" in old.get("applied", {}).get("SS", []):
            return None  # this very row was applied by an earlier delivery of the upload
        return RowIssue(line=line, column="person_id", code=refusal)
    return None


def _purge(ctx: IntakeContext, code: str, generation: int, reason: str) -> None:
    if ctx.purge_queue_url:
        request_purge(ctx.sqs, ctx.purge_queue_url,
                      PurgeRequest(municipality_code=code, generation=generation, reason=reason))


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
        previous, superseded = ctx.tenants.flip_generation(code, job.generation)
        if superseded:  # the previous generation stays, the one before it goes (0: there was none)
            _purge(ctx, code, superseded, f"superseded by generation {job.generation}")
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
