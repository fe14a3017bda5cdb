"""The staff side of uploads: issue a presigned PUT for a new job, and report a job's status."""

from __future__ import annotations

import base64
import re
import secrets
import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING

from victim_support.audit import AuditLog
from victim_support.clock import Clock, iso, utc_now
from victim_support.errors import CATALOG, DomainError
from victim_support.intake.jobs import UploadJobRepository
from victim_support.intake.models import Progress, UploadJob, UploadRequest, UploadStatusView, UploadTicket
from victim_support.intake.reports import ReportStore
from victim_support.tenants.repository import TenantRepository

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|#%{}^~\[\]`]+")


def safe_filename(filename: str) -> str:
    """Keep the staff's file name readable (Japanese included) but free of path and URL trouble."""
    name = unicodedata.normalize("NFC", filename).strip()
    name = _UNSAFE.sub("_", name).strip(". ") or "residents.csv"
    return name[:120]


def new_upload_id(code: str, clock: Clock) -> str:
    return f"{code}-{clock().strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(5)}"


def request_upload(
    code: str, actor: str, request: UploadRequest, *, tenants: TenantRepository, jobs: UploadJobRepository,
    audit: AuditLog, s3: S3Client, bucket: str, expires_in: int, max_bytes: int, clock: Clock = utc_now,
) -> UploadTicket:
    tenants.require(code)
    if request.size_bytes > max_bytes:
        raise DomainError("UPLOAD_TOO_LARGE", f"limit {max_bytes} bytes")
    now = clock()
    upload_id = new_upload_id(code, clock)
    key = f"{code}/uploads/{upload_id}/{safe_filename(request.filename)}"
    jobs.create(UploadJob(
        municipality_code=code, upload_id=upload_id, kind=request.kind, filename=request.filename,
        object_key=key, size_bytes=request.size_bytes, sha256=request.sha256.lower(), created_by=actor,
        created_at=iso(now), updated_at=iso(now),
    ))
    checksum = base64.b64encode(bytes.fromhex(request.sha256)).decode()
    # Content-Length and x-amz-checksum-sha256 are signed into the URL: S3 refuses a body of
    # another size or digest. The worker re-verifies both anyway.
    url: str = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentLength": request.size_bytes,
                "ChecksumSHA256": checksum, "ContentType": "text/csv"},
        ExpiresIn=expires_in,
    )
    audit.record(code, actor=actor, action="residents.upload.requested", target=upload_id,
                 reason=f"{request.kind} upload", details={"size_bytes": request.size_bytes})
    return UploadTicket(
        upload_id=upload_id, url=url, object_key=key,
        headers={"Content-Length": str(request.size_bytes), "x-amz-checksum-sha256": checksum,
                 "Content-Type": "text/csv"},
        expires_at=iso(now + timedelta(seconds=expires_in)),
    )


def upload_status(
    code: str, upload_id: str, *, jobs: UploadJobRepository, reports: ReportStore, link_expires_in: int
) -> UploadStatusView:
    job = jobs.get(code, upload_id) if upload_id.startswith(f"{code}-") else None
    if job is None:  # another municipality's upload is as invisible as a missing one
        raise DomainError("UPLOAD_NOT_FOUND", upload_id)
    total = job.rows_total
    done = min(job.rows_done, total) if total is not None else job.rows_done
    if job.status == "succeeded" and total is not None:
        done = total
    failure = CATALOG.get(job.failure_code) if job.failure_code else None
    return UploadStatusView(
        upload_id=job.upload_id, kind=job.kind, filename=job.filename, status=job.status,
        progress=Progress(rows_done=done, rows_total=total,
                          percent=round(100 * done / total, 1) if total else None),
        rows_read=job.rows_read, rows_stored=job.rows_stored, rows_rejected=job.rows_rejected,
        rows_with_warnings=job.rows_with_warnings, error_codes=job.error_codes, warning_codes=job.warning_codes,
        failure_code=job.failure_code, failure_message=failure.en if failure else None,
        failure_message_ja=failure.ja if failure else None, failure_detail=job.failure_detail or None,
        report_url=reports.link(job.report_key, link_expires_in) if job.report_key else None,
        created_at=job.created_at, updated_at=job.updated_at,
    )
