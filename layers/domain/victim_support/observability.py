"""Logger, Tracer and Metrics singletons: defined once, imported everywhere.

Logs are structured JSON carrying the municipality code and a correlation id, never personal data:
``redact`` masks any field whose name marks it as personal before it can reach a log line.

``tracer`` is a :class:`LazyTracer`: building a Powertools ``Tracer`` imports ``aws_xray_sdk.core``,
whose import builds the X-Ray recorder and a botocore client for its sampler (the heaviest import on
every handler's cold start). The real ``Tracer`` is built on first use instead, i.e. by the first
invocation of a handler decorated with ``@tracer.capture_lambda_handler``; decorating costs nothing.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from aws_lambda_powertools import Logger, Metrics, Tracer

if TYPE_CHECKING:
    import numbers

SERVICE = "victim-support"
NAMESPACE = "VictimSupport"

_F = TypeVar("_F", bound=Callable[..., Any])


class LazyTracer:
    """A Powertools ``Tracer`` built on first use, with the same decorators.

    ``capture_lambda_handler`` and ``capture_method`` return wrappers that apply the real decorator on
    their first call (Powertools resolves the capture options from the environment then, which a
    Lambda environment never changes after import); any other
    attribute (``put_annotation``, ``provider``, ``patch`` …) is the real tracer's, building it.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._tracer: Tracer | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether the real tracer (and so ``aws_xray_sdk``) has been built yet."""
        return self._tracer is not None

    @property
    def real(self) -> Tracer:
        """The Powertools ``Tracer``, built (with the X-Ray SDK import and auto-patching) on first access."""
        if self._tracer is None:
            with self._lock:
                if self._tracer is None:
                    self._tracer = Tracer(**self._options)
        return self._tracer

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in {"_options", "_tracer", "_lock"}:
            raise AttributeError(name)
        return getattr(self.real, name)

    def capture_lambda_handler(
        self,
        lambda_handler: Callable[..., Any] | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Callable[..., Any]:
        """``Tracer.capture_lambda_handler``, applied on the handler's first invocation."""
        if lambda_handler is None:
            return functools.partial(
                self.capture_lambda_handler, capture_response=capture_response, capture_error=capture_error
            )
        handler = lambda_handler
        traced: Callable[..., Any] | None = None

        @functools.wraps(handler)
        def decorate(event: Any, context: Any, **kwargs: Any) -> Any:
            nonlocal traced
            if traced is None:
                traced = self.real.capture_lambda_handler(handler, capture_response=capture_response,
                                                          capture_error=capture_error)
            return traced(event, context, **kwargs)

        return decorate

    @overload
    def capture_method(self, method: _F) -> _F: ...

    @overload
    def capture_method(
        self, method: None = None, capture_response: bool | None = None, capture_error: bool | None = None
    ) -> Callable[[_F], _F]: ...

    def capture_method(
        self,
        method: _F | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> _F | Callable[[_F], _F]:
        """``Tracer.capture_method`` (sync, async, generator and context-manager functions), applied on
        the function's first call; the wrapper keeps the function's kind (coroutine, generator)."""
        if method is None:
            return cast(
                Callable[[_F], _F],
                functools.partial(self.capture_method, capture_response=capture_response, capture_error=capture_error),
            )
        original: Callable[..., Any] = method
        traced: Callable[..., Any] | None = None

        def resolve() -> Callable[..., Any]:
            nonlocal traced
            if traced is None:
                decorator = self.real.capture_method(capture_response=capture_response, capture_error=capture_error)
                traced = decorator(original)
            return traced

        wrapper: Callable[..., Any]
        if inspect.iscoroutinefunction(original):

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                return await resolve()(*args, **kwargs)

        elif inspect.isgeneratorfunction(original):

            def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
                return (yield from resolve()(*args, **kwargs))

        else:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return resolve()(*args, **kwargs)

        return cast(_F, functools.wraps(original)(wrapper))

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        self.real.put_annotation(key=key, value=value)

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        self.real.put_metadata(key=key, value=value, namespace=namespace)


logger = Logger(service=SERVICE)
tracer = LazyTracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

PERSONAL_FIELDS = frozenset(
    {
        "name", "name_kana", "birth_date", "address", "address_extra", "phone", "postal_code",
        "my_number", "care_needs", "protected", "氏名", "氏名カナ", "生年月日", "住所", "方書", "電話番号",
        "郵便番号", "要配慮者区分", "支援措置",
    }
)
MASK = "***"


def redact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of ``fields`` with every personal value masked (recursively for nested mappings)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in PERSONAL_FIELDS:
            out[key] = MASK
        elif isinstance(value, Mapping):
            out[key] = redact(value)
        else:
            out[key] = value
    return out
