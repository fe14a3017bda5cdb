"""The local target: the topology on an embedded AWS, with the same handlers, in one process.

``LocalStack`` starts moto on 127.0.0.1, creates every resource the topology declares, points the
handlers' settings at them, serves the API routes through a local gateway and runs one poller per
queue trigger.
"""

from __future__ import annotations

import logging
import secrets
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

import victim_support.aws
from victim_support.auth import Caller
from victim_support.settings import ProcessEnvironment, get_settings

from infra.local.gateway import LocalGateway
from infra.local.moto_server import REGION, MotoServer
from infra.local.pollers import QueuePoller
from infra.local.provision import DEFAULT_PREFIX, Provisioned, local_clients, provision
from infra.local.runtime import ACCOUNT_ID, Runtime
from infra.local.tokens import issue_token
from infra.topology import TOPOLOGY, Topology

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeFilterType

log = logging.getLogger(__name__)

_COUNTS: tuple[QueueAttributeFilterType, ...] = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


class LocalStack:
    """Context manager running the topology locally; see the module docstring.

    One runs per process at a time: it owns the process environment the handlers read and moto's
    process-wide state, which it resets when it starts.
    """

    _running: ClassVar[LocalStack | None] = None
    _running_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        topology: Topology = TOPOLOGY,
        *,
        api_port: int | None = None,
        prefix: str = DEFAULT_PREFIX,
        token_secret: str | None = None,
        poller_concurrency: int | Mapping[str, int] = 2,
        retry_backoff_s: int = 1,
        poll_wait_s: int = 1,
        start_pollers: bool = True,
        emit_metrics: bool = False,
    ) -> None:
        topology.validate()
        self.topology = topology
        self._api_port = api_port or 0
        self._prefix = prefix
        self._secret = token_secret or secrets.token_urlsafe(32)
        self._concurrency = poller_concurrency
        self._backoff_s = retry_backoff_s
        self._poll_wait_s = poll_wait_s
        self._start_pollers = start_pollers
        self._emit_metrics = emit_metrics
        self._moto = MotoServer()
        self._runtime = Runtime(topology, prefix, drop_metrics=not emit_metrics)
        self._gateway: LocalGateway | None = None
        self._pollers: list[QueuePoller] = []
        self._provisioned: Provisioned | None = None
        self._env: dict[str, str] = {}
        self._process_env = ProcessEnvironment()
        self._sqs: SQSClient | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalStack:
        if self._provisioned is not None:
            return self
        with LocalStack._running_lock:
            if LocalStack._running is not None:
                raise RuntimeError("another LocalStack is running in this process; stop it first")
            LocalStack._running = self
        try:
            self._moto.start()
            self._moto.reset()
            endpoint = self._moto.endpoint_url
            self._provisioned = provision(self.topology, endpoint, self._prefix)
            self._env = {
                **self._provisioned.env,
                "VS_ENVIRONMENT": "local",
                "VS_AWS_ENDPOINT_URL": endpoint,
                "VS_DEV_TOKEN_SECRET": self._secret,
                # EMF metrics have no CloudWatch to reach locally; printed, they would only mix
                # into the stdout of whatever runs the stack (the CLI prints JSON there).
                "POWERTOOLS_METRICS_DISABLED": "false" if self._emit_metrics else "true",
            }
            self._apply_env()
            self._sqs = local_clients(endpoint).sqs
            self._gateway = LocalGateway(self.topology, self._runtime, self._secret, self._api_port).start()
            if self._start_pollers:
                self._start_queue_pollers(endpoint)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        # Signal every poller first so their long polls wind down together, not one after another.
        for poller in self._pollers:
            poller.request_stop()
        for poller in self._pollers:
            poller.stop()
        self._pollers.clear()
        if self._gateway is not None:
            self._gateway.stop()
            self._gateway = None
        self._runtime.forget_handlers()
        self._moto.stop()
        self._restore_env()
        self._provisioned = None
        with LocalStack._running_lock:
            if LocalStack._running is self:
                LocalStack._running = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Run until Ctrl-C (or SIGTERM), then stop cleanly."""
        stopping = threading.Event()

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _on_signal)
        self.start()
        log.info("local stack: api %s, aws %s", self.api_url, self.endpoint_url)
        try:
            while not stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    # -- what callers use ----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        if self._gateway is None:
            raise RuntimeError("the local stack is not running")
        return self._gateway.url

    @property
    def endpoint_url(self) -> str:
        return self._moto.endpoint_url

    @property
    def env(self) -> dict[str, str]:
        """The environment the handlers run with (resource names, endpoint, dev token secret)."""
        return dict(self._env)

    @property
    def resources(self) -> Provisioned:
        if self._provisioned is None:
            raise RuntimeError("the local stack is not running")
        return self._provisioned

    @property
    def token_secret(self) -> str:
        return self._secret

    def issue_token(
        self,
        municipality_code: str | None,
        groups: Iterable[str] = ("staff",),
        username: str = "dev",
        ttl_s: int = 3600,
    ) -> str:
        caller = Caller(
            subject=f"local-{username}",
            username=username,
            municipality_code=municipality_code,
            groups=frozenset(groups),
        )
        return issue_token(caller, self._secret, ttl_s)

    def handler_cpu(self) -> dict[str, tuple[float, int]]:
        """Per function: handler CPU seconds (thread time) and invocations since the stack started."""
        runtime = self._runtime
        return {name: (runtime.cpu_seconds[name], runtime.invocations.get(name, 0)) for name in runtime.cpu_seconds}

    def run_scheduled(self, function: str, *, at: datetime | None = None,
                      event: dict[str, Any] | None = None) -> Any:
        """Invoke a scheduled function as its EventBridge rule would at ``at`` (default: now), or with
        ``event`` as a manual invocation; the local target has no clock-driven scheduler."""
        spec = self.topology.function(function)
        if not spec.schedules:
            raise ValueError(f"function {function!r} has no schedule")
        if event is None:
            moment = (at or datetime.now(UTC)).astimezone(UTC)
            event = {
                "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                "source": "aws.events", "account": ACCOUNT_ID, "region": REGION,
                "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{function}-{spec.schedules[0].name}"],
                "detail": {},
            }
        return self._runtime.invoke(spec, event)

    def queue_depths(self, *, dead_letter: bool = False) -> dict[str, int]:
        """Messages per topology queue (or its DLQ): visible + in flight + delayed."""
        urls = self.resources.dlq_urls if dead_letter else self.resources.queue_urls
        sqs = self._require_sqs()
        depths: dict[str, int] = {}
        for name, url in urls.items():
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(_COUNTS))["Attributes"]
            depths[name] = sum(int(value) for key, value in attrs.items() if key in _COUNTS)
        return depths

    def dlq_depths(self) -> dict[str, int]:
        return self.queue_depths(dead_letter=True)

    def wait_idle(self, timeout_s: float = 30.0) -> None:
        """Return once no topology queue holds a message (visible, in flight or delayed) and no
        handler is running, seen twice in a row; raise TimeoutError otherwise. DLQs are not counted."""
        deadline = time.monotonic() + timeout_s
        quiet = 0
        while time.monotonic() < deadline:
            if self._runtime.active == 0 and not any(self.queue_depths().values()) and (
                self._runtime.active == 0
            ):
                quiet += 1
                if quiet >= 2:
                    return
            else:
                quiet = 0
            time.sleep(0.05)
        raise TimeoutError(
            f"not idle after {timeout_s}s: queues {self.queue_depths()}, "
            f"{self._runtime.active} invocation(s) running"
        )

    # -- internals -------------------------------------------------------------------------------

    def _require_sqs(self) -> SQSClient:
        if self._sqs is None:
            raise RuntimeError("the local stack is not running")
        return self._sqs

    def _start_queue_pollers(self, endpoint: str) -> None:
        resources = self.resources
        for function in self.topology.functions:
            for trigger in function.triggers:
                concurrency = (
                    self._concurrency.get(function.name, 2)
                    if isinstance(self._concurrency, Mapping)
                    else self._concurrency
                )
                poller = QueuePoller(
                    function=function,
                    trigger=trigger,
                    queue_url=resources.queue_urls[trigger.queue],
                    queue_arn=resources.queue_arns[trigger.queue],
                    runtime=self._runtime,
                    sqs_factory=lambda: local_clients(endpoint).sqs,
                    concurrency=concurrency,
                    wait_s=self._poll_wait_s,
                    retry_backoff_s=self._backoff_s,
                )
                self._pollers.append(poller.start())

    def _apply_env(self) -> None:
        """The handlers read settings from the process environment. Stale resource variables are
        removed so settings name exactly the topology's resources."""
        self._process_env.apply(self._env, remove=ProcessEnvironment.resource_variables())
        self._reset_handler_caches()

    def _restore_env(self) -> None:
        self._process_env.restore()
        self._env = {}
        self._reset_handler_caches()

    @staticmethod
    def _reset_handler_caches() -> None:
        get_settings.cache_clear()
        victim_support.aws._clients = None
        # Handlers' cached repositories hold clients and names from the previous settings; only a
        # module already imported can hold any.
        wiring = sys.modules.get("victim_support.wiring")
        reset = getattr(wiring, "reset", None)
        if callable(reset):
            reset()
