"""A small client of the staff API over HTTP, used by the CLI, the demo and the end-to-end tests."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

TERMINAL = ("succeeded", "failed")


class ApiError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        code = body.get("code") if isinstance(body, dict) else None
        super().__init__(f"HTTP {status} {code or ''}: {body}")


def file_digest(path: Path) -> tuple[int, str]:
    """(size, hex SHA-256), streamed."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


@dataclass
class StaffApiClient:
    base_url: str
    token: str
    timeout_s: float = 30.0

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        resp = requests.request(
            method, self.base_url.rstrip("/") + path, json=body, params=params, timeout=self.timeout_s,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        payload = resp.json() if resp.content else None
        if resp.status_code >= 400:
            raise ApiError(resp.status_code, payload)
        return payload

    def register_municipality(self, code: str, registration: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PUT", f"/municipalities/{code}", registration)
        return result

    def fee_estimate(self, **params: Any) -> dict[str, Any]:
        """``GET /fees/estimate``; parameters left out default to the caller's registration."""
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items() if v is not None}
        result: dict[str, Any] = self._call("GET", "/fees/estimate", params=query)
        return result

    def municipality(self, code: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = self._call("GET", f"/municipalities/{code}")
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return result

    def request_upload(self, path: Path, kind: str) -> dict[str, Any]:
        size, sha256 = file_digest(path)
        ticket: dict[str, Any] = self._call(
            "POST", "/uploads", {"kind": kind, "filename": path.name, "size_bytes": size, "sha256": sha256}
        )
        return ticket

    @staticmethod
    def put_file(ticket: dict[str, Any], path: Path, timeout_s: float = 600.0) -> None:
        """PUT the file to the presigned URL exactly as it was signed (streamed from disk)."""
        with path.open("rb") as handle:
            resp = requests.put(ticket["url"], data=handle, headers=ticket["headers"], timeout=timeout_s)
        if resp.status_code >= 300:
            raise ApiError(resp.status_code, {"code": "PUT_FAILED", "detail": resp.text[:500]})

    def upload_status(self, upload_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/uploads/{upload_id}")
        return result

    def wait(self, upload_id: str, *, timeout_s: float = 1800.0, poll_s: float = 0.25,
             on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.upload_status(upload_id)
            if on_progress:
                on_progress(status)
            if status["status"] in TERMINAL:
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"upload {upload_id} still {status['status']} after {timeout_s:.0f}s")
            time.sleep(poll_s)


def summary(status: dict[str, Any]) -> dict[str, Any]:
    """The job summary the CLI prints."""
    return {
        "upload_id": status["upload_id"],
        "status": status["status"],
        "rows_read": status["rows_read"],
        "rows_stored": status["rows_stored"],
        "rows_rejected": status["rows_rejected"],
        "rows_with_warnings": status["rows_with_warnings"],
        "error_codes": status["error_codes"],
        "warning_codes": status["warning_codes"],
        "failure_code": status.get("failure_code"),
        "report_url": status.get("report_url"),
    }
