"""A local API Gateway (REST, Lambda proxy integration) for the topology's routes.

It matches the request to a route, authenticates the dev token the way the Cognito user pool
authorizer would (401 without invoking anything; a route with ``authorizer="none"`` is public: no
token is asked for and the event carries no authorizer context, as with API Gateway's
``AuthorizationType.NONE``; a route whose authorizer is a topology ``RequestAuthorizer`` gets that
Lambda authorizer invoked first, as API Gateway would, and its context in the event), builds a v1
proxy event and invokes the route's handler in-process.
Access log lines carry the route template and status only: paths and query strings may hold
identifiers a log must not keep.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from victim_support.auth import Caller

from infra.local.moto_server import HOST, REGION
from infra.local.runtime import ACCOUNT_ID, Runtime, describe_failure
from infra.local.tokens import TokenError, verify_claims
from infra.topology import RequestAuthorizer, Route, Topology

log = logging.getLogger(__name__)

STAGE = "local"
API_ID = "local"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit
_PARAM = re.compile(r"^\{([A-Za-z0-9_]+)(\+?)\}$")
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "date", "server"}


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: re.Pattern[str]
    literal_segments: int


def compile_routes(routes: Sequence[Route]) -> list[CompiledRoute]:
    """Templates become anchored regexes; routes with more literal segments are tried first, as
    API Gateway prefers the most specific resource."""
    compiled: list[CompiledRoute] = []
    for route in routes:
        parts, literals = [], 0
        for segment in route.path.strip("/").split("/"):
            match = _PARAM.match(segment)
            if match is None:
                parts.append(re.escape(segment))
                literals += 1
            else:
                parts.append(f"(?P<{match.group(1)}>{'.+' if match.group(2) else '[^/]+'})")
        pattern = re.compile("^/" + "/".join(p for p in parts if p) + "$")
        compiled.append(CompiledRoute(route, pattern, literals))
    return sorted(compiled, key=lambda c: -c.literal_segments)


@dataclass(frozen=True)
class Match:
    route: Route | None
    path_parameters: dict[str, str]
    allowed: tuple[str, ...]


def match_route(routes: Sequence[CompiledRoute], method: str, path: str) -> Match:
    path = "/" + path.strip("/")
    allowed: list[str] = []
    for compiled in routes:
        found = compiled.pattern.match(path)
        if found is None:
            continue
        if compiled.route.method == method:
            params = {k: unquote(v) for k, v in found.groupdict().items()}
            return Match(compiled.route, params, ())
        allowed.append(compiled.route.method)
    return Match(None, {}, tuple(sorted(set(allowed))))


def authorizer_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them: every value a string, groups
    space-separated, times in its ``EEE MMM dd HH:mm:ss UTC yyyy`` form."""
    out = Caller.from_claims(claims).to_claims()
    out["token_use"] = "id"  # noqa: S105 - a claim name, not a secret
    for name in ("iat", "exp"):
        out[name] = datetime.fromtimestamp(int(claims[name]), tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    out["auth_time"] = str(int(claims["iat"]))
    return out


def build_proxy_event(
    *,
    route: Route,
    method: str,
    path: str,
    path_parameters: Mapping[str, str],
    headers: Sequence[tuple[str, str]],
    query: str,
    body: bytes,
    claims: Mapping[str, str] | None,
    source_ip: str,
    request_id: str | None = None,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) Lambda proxy event; ``authorizer`` is a Lambda authorizer's context
    (``principalId`` and its context values), which replaces the Cognito ``claims``."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    query_single: dict[str, str] = {}
    query_multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        query_single[name] = value
        query_multi.setdefault(name, []).append(value)
    text: str | None
    encoded = False
    if not body:
        text = None
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    now = datetime.now(tz=UTC)
    request_id = request_id or str(uuid.uuid4())
    lower = {k.lower(): v for k, v in single.items()}
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "resourceId": route.path,
            "resourcePath": route.path,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "protocol": "HTTP/1.1",
            "domainName": lower.get("host", HOST),
            "domainPrefix": API_ID,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": lower.get("user-agent"),
                "accountId": None,
                "apiKey": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "user": None,
                "userArn": None,
            },
            **_authorizer_field(claims, authorizer),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def _authorizer_field(claims: Mapping[str, str] | None, authorizer: Mapping[str, Any] | None) -> dict[str, Any]:
    if authorizer is not None:
        return {"authorizer": dict(authorizer)}
    return {"authorizer": {"claims": dict(claims)}} if claims is not None else {}


def method_arn(method: str, path: str) -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/{method}{path}"


def build_authorizer_event(proxy_event: Mapping[str, Any]) -> dict[str, Any]:
    """The REQUEST authorizer event API Gateway (REST) sends for a request: the proxy event's request
    data without its body (an authorizer never sees the body) and with the method's ARN."""
    event = {k: v for k, v in proxy_event.items() if k not in ("body", "isBase64Encoded")}
    event["requestContext"] = {k: v for k, v in proxy_event["requestContext"].items() if k != "authorizer"}
    return {"type": "REQUEST", "methodArn": method_arn(proxy_event["httpMethod"], proxy_event["path"]), **event}


def policy_allows(policy: Mapping[str, Any], arn: str) -> bool:
    """An authorizer's IAM policy allows invoking ``arn``: an Allow matches it and no Deny does."""
    allowed = denied = False
    for statement in (policy.get("policyDocument") or {}).get("Statement") or []:
        actions = statement.get("Action")
        resources = statement.get("Resource")
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", str(a)) for a in actions):
            continue
        if any(fnmatch.fnmatchcase(arn, str(r)) for r in resources):
            allowed |= statement.get("Effect") == "Allow"
            denied |= statement.get("Effect") == "Deny"
    return allowed and not denied


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json_reply(status: int, code: str, message: str, extra: Sequence[tuple[str, str]] = ()) -> Reply:
    body = json.dumps({"code": code, "message": message}).encode()
    return Reply(status, [("Content-Type", "application/json"), *extra], body)


def reply_from_result(result: Any) -> Reply:
    """A Lambda proxy result as an HTTP reply; a malformed result is a 502, as on API Gateway."""
    if not isinstance(result, Mapping) or not isinstance(result.get("statusCode"), int):
        return _json_reply(502, "BAD_GATEWAY", "Malformed Lambda proxy response")
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if name.lower() in _HOP_BY_HOP:
            continue
        seen.add(name.lower())
        headers += [(name, str(v)) for v in values]
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in _HOP_BY_HOP and name.lower() not in seen:
            headers.append((name, str(value)))
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    return Reply(int(result["statusCode"]), headers, body)


class LocalGateway:
    """Serves the topology's routes on 127.0.0.1 (``port=0`` picks a free port)."""

    def __init__(self, topology: Topology, runtime: Runtime, token_secret: str, port: int = 0) -> None:
        self._topology = topology
        self._routes = compile_routes(topology.routes)
        self._runtime = runtime
        self._secret = token_secret
        self._server = ThreadingHTTPServer((HOST, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalGateway:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-gateway",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def handle(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes, source_ip: str
    ) -> tuple[Reply, str]:
        """The reply for one request, and the route template for the access log."""
        split = urlsplit(target)
        path = unquote(split.path) or "/"
        found = match_route(self._routes, method, path)
        if found.route is None:
            if found.allowed:
                return _json_reply(
                    405, "METHOD_NOT_ALLOWED", f"{method} is not allowed here",
                    [("Allow", ", ".join(found.allowed))],
                ), "-"
            return _json_reply(404, "NOT_FOUND", "No such route"), "-"
        route = found.route
        template = f"{route.method} {route.path}"
        claims: dict[str, str] | None = None
        context: dict[str, Any] | None = None
        request_authorizer = self._topology.request_authorizer(route.authorizer)
        if request_authorizer is not None:
            outcome = self._authorize(request_authorizer, build_proxy_event(
                route=route, method=method, path=path, path_parameters=found.path_parameters,
                headers=headers, query=split.query, body=b"", claims=None, source_ip=source_ip,
            ))
            if isinstance(outcome, Reply):
                return outcome, template
            context = outcome
        elif route.authorizer != "none":
            authorization = next((v for k, v in headers if k.lower() == "authorization"), "")
            scheme, _, credentials = authorization.partition(" ")
            token = credentials if scheme.lower() == "bearer" else authorization
            try:
                claims = authorizer_claims(verify_claims(token.strip(), self._secret))
            except TokenError as exc:
                return _json_reply(401, "UNAUTHORIZED", f"Unauthorized: {exc}"), template
        event = build_proxy_event(
            route=route, method=method, path=path, path_parameters=found.path_parameters,
            headers=headers, query=split.query, body=body, claims=claims, source_ip=source_ip,
            authorizer=context,
        )
        try:
            result = self._runtime.invoke(self._topology.function(route.function), event)
        except Exception as exc:
            # The exception text may quote request data: only its type and place are logged.
            log.error("function %s failed: %s", route.function, describe_failure(exc))
            return _json_reply(502, "INTERNAL_ERROR", "Internal server error"), template
        return reply_from_result(result), template


    def _authorize(self, authorizer: RequestAuthorizer, proxy_event: dict[str, Any]) -> dict[str, Any] | Reply:
        """What API Gateway does for a Lambda REQUEST authorizer (results never cached): 401 without
        invoking it when an identity header is missing; 401 when it raises "Unauthorized", 500 when it
        fails otherwise; 403 on a Deny, rendered with the authorizer's context as the kiosk API's
        ACCESS_DENIED gateway response does; else the authorizer context for the proxy event."""
        present = {name.lower() for name in (proxy_event.get("headers") or {})}
        if any(h.lower() not in present for h in authorizer.identity_headers):
            return _json_reply(401, "UNAUTHORIZED", "Unauthorized")
        event = build_authorizer_event(proxy_event)
        started = time.monotonic()
        try:
            result = self._runtime.invoke(self._topology.function(authorizer.function), event)
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return _json_reply(401, "UNAUTHORIZED", "Unauthorized")
            log.error("authorizer %s failed: %s", authorizer.function, describe_failure(exc))
            return _json_reply(500, "AUTHORIZER_FAILURE", "Authorizer error")
        if not isinstance(result, Mapping) or not result.get("principalId"):
            return _json_reply(500, "AUTHORIZER_FAILURE", "Authorizer error")
        context = {str(k): str(v) for k, v in (result.get("context") or {}).items()}
        if not policy_allows(result, event["methodArn"]):
            body = {"code": context.get("code", ""), "message": context.get("message", ""),
                    "message_ja": context.get("message_ja", "")}
            return Reply(403, [("Content-Type", "application/json")], json.dumps(body, ensure_ascii=False).encode())
        return {**context, "principalId": str(result["principalId"]),
                "integrationLatency": int((time.monotonic() - started) * 1000)}


def _handler_class(gateway: LocalGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "victim-support-local-gateway"

        def _serve(self) -> None:
            started = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                reply, template = _json_reply(413, "PAYLOAD_TOO_LARGE", "Request body too large"), "-"
                self.close_connection = True
            else:
                body = self.rfile.read(length) if length else b""
                headers = list(self.headers.items())
                reply, template = gateway.handle(
                    self.command, self.path, headers, body, self.client_address[0]
                )
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
            log.info(
                "%s %s -> %d (%.0f ms)", self.command, template, reply.status,
                (time.monotonic() - started) * 1000,
            )

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            # The default access log prints the raw path and query; _serve logs the template instead.
            return

    return Handler

