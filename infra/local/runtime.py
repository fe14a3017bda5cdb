"""The in-process stand-in for the Lambda runtime: resolves handlers lazily and invokes them with a
context object shaped like the real one, counting the invocations in flight."""

from __future__ import annotations

import importlib
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from victim_support.observability import metrics

from infra.local.moto_server import REGION
from infra.local.provision import physical_name
from infra.topology import Function, Topology

ACCOUNT_ID = "123456789012"  # moto's default account

Handler = Callable[[dict[str, Any], Any], Any]


def describe_failure(exc: BaseException) -> str:
    """Type and innermost frame of a handler's exception: enough to find the bug, while its message
    (which may quote personal data from the request) stays out of the log."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    return f"{type(exc).__name__}{where}"


@dataclass
class LambdaContext:
    """The attributes Powertools (Logger, idempotency) and handlers read from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline_ms: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


@dataclass
class Runtime:
    topology: Topology
    prefix: str
    region: str = REGION
    # Without CloudWatch locally, EMF metrics are disabled; Powertools then never flushes them, keeps
    # them, and prints the set once a metric reaches 100 values, so each invocation's are dropped.
    drop_metrics: bool = True
    _handlers: dict[str, Handler] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _import_lock: threading.Lock = field(default_factory=threading.Lock)
    _imported: set[str] = field(default_factory=set)
    _active: int = 0
    # Handler CPU seconds and invocations per function (thread CPU time: the benchmarks' figure).
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    invocations: dict[str, int] = field(default_factory=dict)

    @property
    def active(self) -> int:
        """Work in flight: handler invocations, and poller batches not yet acknowledged."""
        with self._lock:
            return self._active

    @contextmanager
    def activity(self) -> Iterator[None]:
        with self._lock:
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1

    def handler(self, function: Function) -> Handler:
        """Imported on first use, so a topology may name functions whose code is not written yet.

        Each runtime imports a handler module afresh, as a new Lambda execution environment would:
        module-level objects (clients, persistence layers) built under an earlier stack's settings
        would otherwise keep pointing at that stack's endpoint and names.
        """
        with self._lock:
            cached = self._handlers.get(function.name)
        if cached is not None:
            return cached
        with self._import_lock:
            if function.module not in self._imported:
                sys.modules.pop(function.module, None)
                self._imported.add(function.module)
            module = importlib.import_module(function.module)
        resolved: Handler = getattr(module, function.attribute)
        with self._lock:
            self._handlers[function.name] = resolved
        return resolved

    def forget_handlers(self) -> None:
        """Drop the handler modules this runtime imported, so no later importer gets them bound to
        a stopped stack."""
        with self._import_lock:
            for name in self._imported:
                sys.modules.pop(name, None)
            self._imported.clear()
        with self._lock:
            self._handlers.clear()

    def context(self, function: Function) -> LambdaContext:
        name = physical_name(self.prefix, function.name)
        return LambdaContext(
            function_name=name,
            memory_limit_in_mb=function.memory_mb,
            invoked_function_arn=f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{name}",
            aws_request_id=str(uuid.uuid4()),
            deadline_ms=int(time.time() * 1000) + function.timeout_s * 1000,
            log_group_name=f"/aws/lambda/{name}",
        )

    def invoke(self, function: Function, event: dict[str, Any]) -> Any:
        """Run the function's handler in this thread; exceptions propagate to the caller (the
        gateway answers 502, a poller fails the batch), as Lambda reports a function error."""
        with self.activity():
            handler = self.handler(function)
            started = time.thread_time()
            try:
                return handler(event, self.context(function))
            finally:
                spent = time.thread_time() - started
                if self.drop_metrics:
                    metrics.clear_metrics()
                with self._lock:
                    self.cpu_seconds[function.name] = self.cpu_seconds.get(function.name, 0.0) + spent
                    self.invocations[function.name] = self.invocations.get(function.name, 0) + 1
