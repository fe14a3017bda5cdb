"""Settings: one pydantic model, read once from the environment.

Nothing else in the project reads ``os.environ``. Resource names arrive as ``VS_<KIND>_<NAME>``
variables whose names come from ``infra.topology.env_var`` (CDK sets them per function, the local
runner sets them for the whole in-process stack).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

RESOURCE_KINDS = ("TABLE", "QUEUE", "BUCKET", "KEY")
ENV_PREFIX = "VS_"


_T = TypeVar("_T")


class MissingResourceError(LookupError):
    """A function asked for a resource its environment does not name (a topology grant is missing)."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    environment: Literal["local", "aws"] = "aws"
    region: str = "ap-northeast-1"
    endpoint_url: str | None = None
    tables: dict[str, str] = Field(default_factory=dict)
    queues: dict[str, str] = Field(default_factory=dict)
    buckets: dict[str, str] = Field(default_factory=dict)
    keys: dict[str, str] = Field(default_factory=dict)
    presign_expiry_seconds: int = Field(default=900, ge=60, le=900)
    report_link_expiry_seconds: int = Field(default=300, ge=60, le=3600)
    chunk_rows: int = Field(default=20_000, ge=100)
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1)
    dev_token_secret: str | None = None

    def table(self, name: str) -> str:
        return _lookup(self.tables, "table", name)

    def queue_url(self, name: str) -> str:
        return _lookup(self.queues, "queue", name)

    def bucket(self, name: str) -> str:
        return _lookup(self.buckets, "bucket", name)

    def key(self, name: str) -> str:
        return _lookup(self.keys, "key", name)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        resources: dict[str, dict[str, str]] = {kind: {} for kind in RESOURCE_KINDS}
        for var, value in environ.items():
            for kind in RESOURCE_KINDS:
                prefix = f"{ENV_PREFIX}{kind}_"
                if var.startswith(prefix):
                    resources[kind][var[len(prefix):].lower()] = value
        scalars = {
            "environment": environ.get("VS_ENVIRONMENT"),
            "region": environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
            "endpoint_url": environ.get("VS_AWS_ENDPOINT_URL"),
            "presign_expiry_seconds": environ.get("VS_PRESIGN_EXPIRY_SECONDS"),
            "report_link_expiry_seconds": environ.get("VS_REPORT_LINK_EXPIRY_SECONDS"),
            "chunk_rows": environ.get("VS_CHUNK_ROWS"),
            "max_upload_bytes": environ.get("VS_MAX_UPLOAD_BYTES"),
            "dev_token_secret": environ.get("VS_DEV_TOKEN_SECRET"),
        }
        return cls(
            tables=resources["TABLE"],
            queues=resources["QUEUE"],
            buckets=resources["BUCKET"],
            keys=resources["KEY"],
            **{k: v for k, v in scalars.items() if v is not None},
        )


def configured(value: _T | None, what: str) -> _T:
    """``value``, or MissingResourceError when this function's environment does not name ``what``
    (a context built for one function carries only the resources that function is granted)."""
    if value is None:
        raise MissingResourceError(f"{what} is not configured for this function")
    return value


def _lookup(names: dict[str, str], kind: str, name: str) -> str:
    try:
        return names[name]
    except KeyError:
        raise MissingResourceError(
            f"{kind} {name!r} is not configured (expected {ENV_PREFIX}{kind.upper()}_{name.upper()})"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests and the local runner call ``get_settings.cache_clear()``."""
    return Settings.from_environ(os.environ)


class ProcessEnvironment:
    """The one writer of the process environment, for the local runner: it sets what Lambda would
    set for a function and puts back what was there before. Settings are re-read after each change."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    @staticmethod
    def resource_variables() -> list[str]:
        """The resource variables present now (``VS_TABLE_*``, ``VS_QUEUE_*``, …)."""
        prefixes = tuple(f"{ENV_PREFIX}{kind}_" for kind in RESOURCE_KINDS)
        return [name for name in os.environ if name.startswith(prefixes)]

    def apply(self, values: Mapping[str, str], *, remove: Iterable[str] = ()) -> None:
        removed = list(remove)
        for name in (*removed, *values):
            self._saved.setdefault(name, os.environ.get(name))
        for name in removed:
            os.environ.pop(name, None)
        os.environ.update(values)
        get_settings.cache_clear()

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()
        get_settings.cache_clear()
