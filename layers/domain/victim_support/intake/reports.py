"""Error reports: one CSV part per chunk, merged into one report when the job ends.

Each line names the file line, the column, the stable code and its message in Japanese and
English; never the rejected value itself (it is personal data and stays in the uploaded file).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING

from victim_support.errors import CATALOG

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from victim_support.intake.rows import RowIssue

HEADER = ("行", "列", "コード", "区分", "内容", "line", "column", "code", "severity", "message")
_SPOOL_LIMIT = 8 * 1024 * 1024


def report_key(code: str, upload_id: str) -> str:
    return f"{code}/reports/{upload_id}/errors.csv"


def part_key(code: str, upload_id: str, chunk_index: int) -> str:
    return f"{code}/reports/{upload_id}/parts/{chunk_index:06d}.csv"


def render_issues(issues: Iterable[RowIssue]) -> bytes:
    """Issue lines without the header (parts are concatenated under one header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for issue in issues:
        spec = CATALOG[issue.code]
        severity_ja = "警告" if spec.severity == "warning" else "エラー"
        writer.writerow((issue.line, issue.column, issue.code, severity_ja, spec.ja,
                         issue.line, issue.column, issue.code, spec.severity.value, spec.en))
    return buffer.getvalue().encode("utf-8")


def render_file_failure(code: str, detail: str | None) -> bytes:
    spec = CATALOG[code]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    message_ja = spec.ja + (f"（{detail}）" if detail else "")
    message_en = spec.en + (f" ({detail})" if detail else "")
    writer.writerow(("", "", code, "ファイル", message_ja, "", "", code, "file", message_en))
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


class ReportStore:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        return self._bucket

    def put_part(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="text/csv; charset=utf-8")

    def put_failure(self, code: str, upload_id: str, failure_code: str, detail: str | None) -> str:
        key = report_key(code, upload_id)
        self.put_part(key, render_file_failure(failure_code, detail))
        return key

    def merge(self, code: str, upload_id: str, parts: list[str]) -> str | None:
        """One report from the parts, streamed through a spooled file so memory stays bounded."""
        if not parts:
            return None
        key = report_key(code, upload_id)
        header = io.StringIO()
        csv.writer(header, lineterminator="\r\n").writerow(HEADER)
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_LIMIT) as merged:
            merged.write(b"\xef\xbb\xbf" + header.getvalue().encode("utf-8"))  # BOM: Excel opens it right
            for part in parts:
                body = self._s3.get_object(Bucket=self._bucket, Key=part)["Body"]
                for block in body.iter_chunks(1024 * 1024):
                    merged.write(block)
            merged.seek(0)
            self._s3.upload_fileobj(merged, self._bucket, key, ExtraArgs={"ContentType": "text/csv; charset=utf-8"})
        return key

    def link(self, key: str, expires_in: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url
