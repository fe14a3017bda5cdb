"""The in-process Lambda runtime: lazy, fresh handler imports and a real-shaped context."""

from __future__ import annotations

import sys

import pytest

from infra.local.runtime import Runtime
from tests.integration.local import handlers
from tests.integration.local.topology import TEST_TOPOLOGY


def test_each_runtime_imports_handler_modules_afresh_and_forgets_them_on_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, handlers.__name__, handlers)  # put back whatever happens
    runtime = Runtime(TEST_TOPOLOGY, "vs-test")
    echo = runtime.handler(TEST_TOPOLOGY.function("echo"))
    fresh = sys.modules[handlers.__name__]

    assert fresh is not handlers  # module-level objects are rebuilt, as in a cold start
    assert runtime.handler(TEST_TOPOLOGY.function("boom")).__module__ == fresh.__name__
    assert sys.modules[handlers.__name__] is fresh  # one import per runtime, however many functions
    assert echo is fresh.echo
    runtime.forget_handlers()
    assert handlers.__name__ not in sys.modules


def test_the_context_carries_the_function_settings_and_a_deadline() -> None:
    runtime = Runtime(TEST_TOPOLOGY, "vs-test")
    context = runtime.context(TEST_TOPOLOGY.function("worker"))

    assert context.function_name == "vs-test-worker"
    assert context.memory_limit_in_mb == 512
    assert context.invoked_function_arn == "arn:aws:lambda:ap-northeast-1:123456789012:function:vs-test-worker"
    assert context.log_group_name == "/aws/lambda/vs-test-worker"
    assert 19_000 < context.get_remaining_time_in_millis() <= 20_000
    assert context.aws_request_id != runtime.context(TEST_TOPOLOGY.function("worker")).aws_request_id
