"""The lazily built tracer: its decorators still trace and return, and importing a handler does not
import the X-Ray SDK (the real Powertools Tracer is built on the first invocation)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Tracer
from victim_support.observability import SERVICE, LazyTracer, tracer

from tests.bench.kiosk_import import HANDLER_MODULE, ROOT, handler_environment


@pytest.fixture(autouse=True)
def _outside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tracing disabled, as Powertools does outside Lambda: dummy segments, no daemon, no patching."""
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")


def test_decorating_does_not_build_the_tracer() -> None:
    lazy = LazyTracer(service=SERVICE)

    @lazy.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return event

    @lazy.capture_method
    def helper() -> int:
        return 1

    assert not lazy.built


def test_decorated_handler_runs_and_returns() -> None:
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """The handler."""
        return {"statusCode": 200, "body": event["body"]}

    assert handler.__name__ == "handler"
    assert handler.__doc__ == "The handler."
    assert handler({"body": "ok"}, None) == {"statusCode": 200, "body": "ok"}
    assert handler({"body": "again"}, None) == {"statusCode": 200, "body": "again"}
    assert tracer.built
    assert isinstance(tracer.real, Tracer)
    assert tracer.real.service == SERVICE


def test_handler_decorator_with_options_and_errors() -> None:
    @tracer.capture_lambda_handler(capture_response=False, capture_error=False)
    def handler(event: dict[str, Any], context: Any) -> str:
        if event.get("fail"):
            raise ValueError("refused")
        return "done"

    assert handler({}, None) == "done"
    with pytest.raises(ValueError, match="refused"):
        handler({"fail": True}, None)


def test_capture_method_keeps_each_kind_of_function() -> None:
    @tracer.capture_method
    def add(a: int, b: int) -> int:
        return a + b

    @tracer.capture_method(capture_response=False)
    async def double(n: int) -> int:
        return 2 * n

    @tracer.capture_method
    def numbers(n: int) -> Iterator[int]:
        yield from range(n)

    @contextlib.contextmanager
    @tracer.capture_method
    def opened(name: str) -> Iterator[str]:
        yield f"<{name}>"

    assert add(2, 3) == 5
    assert asyncio.iscoroutinefunction(double)
    assert asyncio.run(double(21)) == 42
    assert list(numbers(3)) == [0, 1, 2]
    with opened("x") as value:
        assert value == "<x>"


def test_other_tracer_attributes_reach_the_real_tracer() -> None:
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> None:
        tracer.put_annotation("municipality", "434434")
        tracer.put_metadata("rows", 3)

    handler({}, None)
    assert tracer.provider is tracer.real.provider


_CHILD = f"""
import json, sys
import {HANDLER_MODULE}
imported = sorted(name for name in sys.modules if name.split(".")[0] == "aws_xray_sdk")
from victim_support.observability import tracer
built_at_import = tracer.built
tracer.real
print(json.dumps({{"at_import": imported, "built_at_import": built_at_import,
                   "after_build": "aws_xray_sdk.core" in sys.modules}}))
"""


def test_importing_the_kiosk_handler_does_not_import_the_xray_sdk() -> None:
    # A fresh interpreter, set up as a Lambda execution environment would be (tracing enabled).
    env = handler_environment()
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    env.update({"LAMBDA_TASK_ROOT": str(ROOT), "AWS_LAMBDA_FUNCTION_NAME": "kiosk-issuance",
                "AWS_REGION": "ap-northeast-1"})
    result = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, cwd=ROOT, env=env,
                            check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["at_import"] == []
    assert report["built_at_import"] is False
    assert report["after_build"] is True  # the check above would see the SDK once the tracer is built
