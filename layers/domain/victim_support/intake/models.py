"""Upload intake models, by boundary: API request/response, queue messages, stored job."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

UploadKind = Literal["full", "delta"]
UploadStatus = Literal["pending", "processing", "succeeded", "failed"]


class UploadRequest(BaseModel):
    """POST /uploads body. The municipality comes from the caller's claims, never from here."""

    model_config = ConfigDict(extra="forbid")

    kind: UploadKind
    filename: str = Field(min_length=1, max_length=200)
    size_bytes: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="hex SHA-256 of the file")


class UploadTicket(BaseModel):
    """POST /uploads response: where and how to PUT the file."""

    upload_id: str
    method: Literal["PUT"] = "PUT"
    url: str
    headers: dict[str, str]
    expires_at: str
    object_key: str


class Progress(BaseModel):
    rows_done: int
    rows_total: int | None
    percent: float | None


class UploadStatusView(BaseModel):
    """GET /uploads/{id} response."""

    upload_id: str
    kind: UploadKind
    filename: str
    status: UploadStatus
    progress: Progress
    rows_read: int
    rows_stored: int
    rows_rejected: int
    rows_with_warnings: int
    error_codes: dict[str, int]
    warning_codes: dict[str, int]
    failure_code: str | None = None
    failure_message: str | None = None
    failure_message_ja: str | None = None
    failure_detail: str | None = None
    report_url: str | None = None
    created_at: str
    updated_at: str


class UploadJob(BaseModel):
    """The stored job (pk = municipality code, sk = UPLOAD#<id>)."""

    municipality_code: str
    upload_id: str
    kind: UploadKind
    filename: str
    object_key: str
    size_bytes: int
    sha256: str
    status: UploadStatus = "pending"
    created_by: str
    created_at: str
    updated_at: str
    encoding: str | None = None
    generation: int | None = None
    chunks_total: int = 0
    chunks_done: int = 0
    rows_total: int | None = None
    rows_done: int = 0
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    rows_with_warnings: int = 0
    delta_line: int = 0
    error_codes: dict[str, int] = Field(default_factory=dict)
    warning_codes: dict[str, int] = Field(default_factory=dict)
    failure_code: str | None = None
    failure_detail: str | None = None
    report_key: str | None = None


class ChunkMessage(BaseModel):
    """A chunk of a large full upload, on the chunk queue."""

    municipality_code: str
    upload_id: str
    bucket: str
    object_key: str
    encoding: str
    chunk_index: int
    byte_start: int
    byte_end: int
    first_line: int
    rows: int
    header: list[str]


class ChunkResult(BaseModel):
    """What loading one chunk produced; added to the job's counters exactly once."""

    chunk_index: int
    rows_read: int
    rows_stored: int
    rows_rejected: int
    rows_with_warnings: int
    error_codes: dict[str, int]
    warning_codes: dict[str, int]
    report_part_key: str | None
