"""The system's topology: the single source of truth for both targets.

Tables, queues (each with its dead-letter queue and redrive), buckets, KMS keys, functions with
their triggers and grants, and API routes are declared here once. ``infra.cdk`` turns this into
CloudFormation; ``infra.local`` creates the same resources on a moto server and wires the same
handlers to them. Neither target may name a resource that is not declared here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Access = Literal["read", "write", "read_write"]
ResourceKind = Literal["table", "queue", "bucket", "key"]


def env_var(kind: ResourceKind, name: str) -> str:
    """The environment variable that carries a resource's physical name (or a queue's URL)."""
    return f"VS_{kind.upper()}_{name.upper()}"


@dataclass(frozen=True)
class Key:
    """A customer-managed KMS key."""

    name: str
    description: str
    usage: Literal["ENCRYPT_DECRYPT", "SIGN_VERIFY"] = "ENCRYPT_DECRYPT"
    key_spec: str = "SYMMETRIC_DEFAULT"


@dataclass(frozen=True)
class Table:
    """A DynamoDB table; every partition key value begins with the municipality code."""

    name: str
    description: str
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    ttl_attribute: str | None = None
    key: str = "data"
    point_in_time_recovery: bool = True


@dataclass(frozen=True)
class Queue:
    """An SQS queue; ``dead_letter`` gets the messages received ``max_receive_count`` times."""

    name: str
    description: str
    visibility_timeout_s: int = 180
    max_receive_count: int = 5
    retention_days: int = 4
    dlq_retention_days: int = 14
    fifo: bool = False
    key: str = "data"

    @property
    def dead_letter(self) -> str:
        return f"{self.name}_dlq"


@dataclass(frozen=True)
class BucketNotification:
    """S3 ObjectCreated events (optionally only keys ending in ``suffix``) are sent to ``queue``."""

    queue: str
    suffix: str = ""


@dataclass(frozen=True)
class Bucket:
    name: str
    description: str
    key: str = "data"
    notifications: tuple[BucketNotification, ...] = ()
    expire_days: int | None = None
    cors_put: bool = False


@dataclass(frozen=True)
class QueueTrigger:
    queue: str
    batch_size: int = 1
    max_batching_window_s: int = 0


@dataclass(frozen=True)
class Schedule:
    """An EventBridge schedule (cron in UTC, EventBridge syntax) that invokes the function on AWS; the
    local target runs scheduled functions on demand (``LocalStack.run_scheduled``)."""

    name: str
    cron: str
    description: str


@dataclass(frozen=True)
class Grant:
    kind: ResourceKind
    name: str
    access: Access


@dataclass(frozen=True)
class KeyFamily:
    """KMS keys created at run time (e.g. one signing key per municipality), not by the deployment.

    No deployment can name their ARNs, so IAM reaches them by a tag every key of the family carries
    (``tag_key=tag_value``): the CDK stack writes policy statements conditioned on
    ``aws:ResourceTag`` (use) and ``aws:RequestTag`` (creation). The local target creates nothing
    for a family (the keys appear when the application creates them).
    """

    name: str
    description: str
    tag_key: str
    tag_value: str
    usage: Literal["SIGN_VERIFY"] = "SIGN_VERIFY"
    key_spec: str = "ECC_NIST_P256"


@dataclass(frozen=True)
class KeyFamilyGrant:
    """``sign``: kms:Sign and kms:GetPublicKey on the family's keys; ``create``: also kms:CreateKey
    of a key with the family's spec, usage and tag (and kms:TagResource with that tag)."""

    family: str
    access: Literal["sign", "create"]


@dataclass(frozen=True)
class Function:
    name: str
    handler: str
    description: str
    memory_mb: int = 512
    timeout_s: int = 30
    triggers: tuple[QueueTrigger, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    grants: tuple[Grant, ...] = ()
    reserved_concurrency: int | None = None
    key_families: tuple[KeyFamilyGrant, ...] = ()

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    function: str
    # "none": a public route (no token; the handler must reveal nothing without its own proof).
    authorizer: Literal["staff", "operator", "none", "kiosk"] = "staff"


@dataclass(frozen=True)
class RequestAuthorizer:
    """A Lambda REQUEST authorizer (``function``) for the routes whose ``authorizer`` is ``name``.

    Those routes form their own REST API on AWS (with mutual TLS on its custom domain when
    ``truststore_bucket`` is set and the domain is configured); the local gateway invokes the same
    function with the same event before the route's handler. A request lacking any of
    ``identity_headers`` is refused with 401 without invoking it, as API Gateway does.
    """

    name: str
    function: str
    description: str
    identity_headers: tuple[str, ...]
    truststore_bucket: str | None = None


@dataclass(frozen=True)
class Topology:
    keys: tuple[Key, ...]
    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    buckets: tuple[Bucket, ...]
    functions: tuple[Function, ...]
    routes: tuple[Route, ...] = field(default=())
    key_families: tuple[KeyFamily, ...] = field(default=())
    authorizers: tuple[RequestAuthorizer, ...] = field(default=())

    def function(self, name: str) -> Function:
        return next(f for f in self.functions if f.name == name)

    def queue(self, name: str) -> Queue:
        return next(q for q in self.queues if q.name == name)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def bucket(self, name: str) -> Bucket:
        return next(b for b in self.buckets if b.name == name)

    def request_authorizer(self, name: str) -> RequestAuthorizer | None:
        """The Lambda REQUEST authorizer a route's ``authorizer`` names, if it is one."""
        return next((a for a in self.authorizers if a.name == name), None)

    def env_for(self, function: Function) -> dict[str, str]:
        """Logical names of the resources a function may touch, keyed by environment variable.

        Targets replace each value with the physical name (or URL) they created.
        """
        env: dict[str, str] = {}
        for grant in function.grants:
            env[env_var(grant.kind, grant.name)] = grant.name
        return env

    def validate(self) -> None:
        """Every reference names a declared resource (run by both targets and by the tests)."""
        names: dict[str, set[str]] = {
            "key": {k.name for k in self.keys},
            "table": {t.name for t in self.tables},
            "queue": {q.name for q in self.queues},
            "bucket": {b.name for b in self.buckets},
        }
        problems = [
            f"{owner}: unknown {kind} {name!r}"
            for owner, kind, name in self._references()
            if name not in names[kind]
        ]
        problems += [
            f"route {r.method} {r.path}: unknown function {r.function!r}"
            for r in self.routes
            if r.function not in {f.name for f in self.functions}
        ]
        problems += [
            f"function {f.name}: unknown key family {g.family!r}"
            for f in self.functions for g in f.key_families
            if g.family not in {k.name for k in self.key_families}
        ]
        problems += [
            f"route {r.method} {r.path}: unknown authorizer {r.authorizer!r}"
            for r in self.routes
            if r.authorizer not in ("staff", "operator", "none") and self.request_authorizer(r.authorizer) is None
        ]
        problems += [
            f"authorizer {a.name}: unknown function {a.function!r}"
            for a in self.authorizers
            if a.function not in {f.name for f in self.functions}
        ]
        problems += [
            f"authorizer {a.name}: unknown bucket {a.truststore_bucket!r}"
            for a in self.authorizers
            if a.truststore_bucket is not None and a.truststore_bucket not in names["bucket"]
        ]
        if problems:
            raise ValueError("topology is inconsistent: " + "; ".join(problems))

    def _references(self) -> list[tuple[str, ResourceKind, str]]:
        refs: list[tuple[str, ResourceKind, str]] = []
        refs += [(f"table {t.name}", "key", t.key) for t in self.tables]
        refs += [(f"queue {q.name}", "key", q.key) for q in self.queues]
        refs += [(f"bucket {b.name}", "key", b.key) for b in self.buckets]
        refs += [(f"bucket {b.name}", "queue", n.queue) for b in self.buckets for n in b.notifications]
        for f in self.functions:
            refs += [(f"function {f.name}", "queue", t.queue) for t in f.triggers]
            refs += [(f"function {f.name}", g.kind, g.name) for g in f.grants]
        return refs


def _rw(kind: ResourceKind, *names: str) -> tuple[Grant, ...]:
    return tuple(Grant(kind, n, "read_write") for n in names)


TOPOLOGY = Topology(
    keys=(
        Key("data", "Encrypts residents' personal data at rest: tables, buckets and queues"),
    ),
    tables=(
        Table("tenants", "Municipality registry and each municipality's current resident generation"),
        Table("residents", "Residents by municipality and generation (pk = code#generation, sk = person id)"),
        Table("upload_jobs", "Upload jobs, their chunk results and progress counters"),
        Table("audit", "Append-only audit trail of every change and disclosure", ttl_attribute=None),
        Table("onboarding", "Onboarding applications (利用申し込み) and the status of each schedule step"),
        Table("ledger", "Victim ledgers (被災者台帳) per disaster: disasters, households, persons, surveys, "
              "support, consents and disclosures, search keys (pk = code, or code#disaster)"),
        Table("issuances", "Every certificate issued: channel, copies, fees and document hash (pk = code)"),
        Table("certificates", "Certificates (罹災証明書・被災証明書): number counters per fiscal year, "
              "certificates and their issues, requests, seals and the signing profile (pk = code)"),
        Table("kiosks", "Kiosk registry (pk = KIOSK#<kiosk id>: operator, store, location, enabled, HMAC secret "
              "encrypted with the data key) and each municipality's kiosk service hours (pk = code)"),
        Table("kiosk_nonces", "Kiosk request nonces, kept through the signature window so a replay is refused "
              "(pk = <kiosk id>#<nonce>)", partition_key="pk", sort_key=None, ttl_attribute="expires_at",
              point_in_time_recovery=False),
        Table("kiosk_sessions", "Kiosk sessions (pk = code, sk = SESSION#<id>): the kiosk, the single-use nonce and "
              "the authenticated resident; idle for 3 minutes they expire", ttl_attribute="ttl",
              point_in_time_recovery=False),
        Table("kiosk_issuances", "Kiosk issuances (pk = code, sk = ISSUANCE#<id>, the id derived from the kiosk's "
              "Idempotency-Key): the option, copies and price quoted, the certificate request, whether the document "
              "was handed out and what the kiosk reported"),
        Table("card_links", "Resident card linkage: JPKI user-certificate serial → person id "
              "(pk = code, sk = CARD#<issuer id>#<serial>)"),
        Table("idempotency", "Powertools idempotency records", partition_key="id", sort_key=None,
              ttl_attribute="expiration", point_in_time_recovery=False),
    ),
    queues=(
        Queue("upload_events", "S3 ObjectCreated notifications for uploaded resident files",
              visibility_timeout_s=900),
        Queue("upload_chunks", "Chunks of large full uploads, fanned out for parallel loading",
              visibility_timeout_s=900),
        Queue("residents_purge", "Resident generations to delete: superseded twice, or left by a failed upload",
              visibility_timeout_s=900),
        Queue("ledger_commands", "Ledger commands, FIFO per municipality+household (MessageGroupId)", fifo=True,
              visibility_timeout_s=120),
        Queue("ledger_build", "Disasters whose ledger is to be built from the current resident generation",
              visibility_timeout_s=900),
        Queue("certificate_requests", "Certificate requests (new issues and re-issues) to render, sign and store",
              visibility_timeout_s=180),
    ),
    buckets=(
        Bucket("uploads", "Resident files uploaded through presigned URLs, under <code>/uploads/",
               notifications=(BucketNotification("upload_events"),), expire_days=30, cors_put=True),
        Bucket("reports", "Error reports of uploads, under <code>/reports/", expire_days=90),
        Bucket("billing", "Billing statements (CSV and PDF) under <code>/billing/<period>/, run summaries "
               "under operator/billing/"),
        Bucket("certificates", "Issued certificates (signed PDF) under <code>/certificates/<FY>/<number>-<nn>.pdf; "
               "never expire: they are the municipality's record"),
        Bucket("jpki", "JPKI 利用者証明用 CA certificates (ca/<name>.pem) and their CRLs (crl/<name>.crl) that "
               "resident cards are checked against at kiosks"),
        Bucket("kiosk_truststore", "CA certificates of kiosk client certificates (truststore.pem): the kiosk API's "
               "mutual TLS trust store, read by API Gateway"),
        Bucket("seals", "Official seal images (公印) under <code>/seals/<seal_id>.png, uploaded through presigned "
               "PUTs; a registered seal is identified by its SHA-256", cors_put=True),
    ),
    functions=(
        Function(
            "staff_api", "functions.staff_api.handler.lambda_handler",
            "REST API for municipal staff and the operator: municipalities, uploads, fees, onboarding, ledgers",
            grants=(
                *_rw("table", "tenants", "upload_jobs", "audit", "onboarding", "ledger"),
                Grant("queue", "ledger_commands", "write"),
                Grant("queue", "ledger_build", "write"),
                Grant("bucket", "uploads", "write"),
                Grant("bucket", "reports", "read_write"),
                Grant("key", "data", "read_write"),
                Grant("table", "certificates", "read_write"),
                Grant("queue", "certificate_requests", "write"),
                Grant("bucket", "seals", "read_write"),  # presigned PUT of seal images, then their check
                Grant("bucket", "certificates", "read"),  # presigned GET of issued certificates
                Grant("table", "kiosks", "read_write"),
            ),
            # Each municipality's signing key is created by the operator route and self-certified.
            key_families=(KeyFamilyGrant("certificate_signing", "create"),),
        ),
        Function(
            "upload_intake", "functions.upload_intake.handler.lambda_handler",
            "Verifies an uploaded resident file, splits it into chunks and loads small or delta files",
            memory_mb=1024, timeout_s=900,
            triggers=(QueueTrigger("upload_events", batch_size=1),),
            grants=(
                *_rw("table", "tenants", "residents", "upload_jobs", "audit", "idempotency"),
                Grant("bucket", "uploads", "read"),
                Grant("bucket", "reports", "read_write"),
                Grant("queue", "upload_chunks", "write"),
                Grant("queue", "residents_purge", "write"),
                Grant("key", "data", "read_write"),
            ),
        ),
        Function(
            "upload_chunks", "functions.upload_intake.chunks.lambda_handler",
            "Loads one chunk of a large full upload and finishes the job when the last chunk reports",
            memory_mb=1024, timeout_s=900,
            triggers=(QueueTrigger("upload_chunks", batch_size=1),),
            grants=(
                *_rw("table", "tenants", "residents", "upload_jobs", "audit", "idempotency"),
                Grant("bucket", "uploads", "read"),
                Grant("bucket", "reports", "read_write"),
                Grant("queue", "residents_purge", "write"),
                Grant("key", "data", "read_write"),
            ),
        ),
        Function(
            "residents_purge", "functions.upload_intake.purge.lambda_handler",
            "Deletes a resident generation that no reader can see any more, page by page",
            memory_mb=512, timeout_s=900,
            triggers=(QueueTrigger("residents_purge", batch_size=1),),
            grants=(
                Grant("table", "tenants", "read"),
                Grant("table", "residents", "read_write"),
                Grant("table", "audit", "read_write"),
                Grant("queue", "residents_purge", "write"),
                Grant("key", "data", "read_write"),
            ),
        ),
        Function(
            "ledger_updates", "functions.ledger_updates.handler.lambda_handler",
            "Applies ledger commands once each, with optimistic locking and an audit event per change",
            memory_mb=512, timeout_s=60,
            triggers=(QueueTrigger("ledger_commands", batch_size=10),),
            grants=(
                *_rw("table", "ledger", "audit", "idempotency"),
                Grant("table", "tenants", "read"),
                Grant("key", "data", "read_write"),
            ),
        ),
        Function(
            "ledger_build", "functions.ledger_updates.build.lambda_handler",
            "Builds a disaster's ledger from the municipality's resident generation current at registration",
            memory_mb=1024, timeout_s=900,
            triggers=(QueueTrigger("ledger_build", batch_size=1),),
            grants=(
                *_rw("table", "ledger", "audit", "idempotency"),
                Grant("table", "tenants", "read"),
                Grant("table", "residents", "read"),
                Grant("queue", "ledger_build", "write"),
                Grant("key", "data", "read_write"),
            ),
        ),
        Function(
            "certificate_generation", "functions.certificate_generation.handler.lambda_handler",
            "Renders, signs (KMS) and stores certificates, numbering them gaplessly, and records each issuance",
            # At ~5 signatures a second per invocation, 40 keep KMS Sign near 200/s, under the account's
            # ECC quota (~300/s shared with Verify): a mass issuance queues instead of being throttled.
            memory_mb=1024, timeout_s=120, reserved_concurrency=40,
            triggers=(QueueTrigger("certificate_requests", batch_size=5),),
            grants=(
                *_rw("table", "certificates", "ledger", "idempotency"),
                Grant("table", "tenants", "read"),
                Grant("table", "issuances", "write"),
                Grant("table", "audit", "write"),
                Grant("bucket", "seals", "read"),
                Grant("bucket", "certificates", "write"),
                Grant("key", "data", "read_write"),
            ),
            key_families=(KeyFamilyGrant("certificate_signing", "sign"),),
        ),
        Function(
            "kiosk_issuance", "functions.kiosk_issuance.handler.lambda_handler",
            "REST API for convenience-store kiosks: sessions, resident card authentication, what may be printed, "
            "issuance (request, hand-out once, printed or failed)",
            memory_mb=1024, timeout_s=29,
            grants=(
                Grant("table", "tenants", "read"),
                Grant("table", "residents", "read"),
                Grant("table", "kiosks", "read"),
                Grant("table", "card_links", "read"),
                # ledger: 交付状況 when a document is handed out; certificates: the request, and the
                # revocation of a copy the printer failed; issuances: the charge, voided on failure.
                *_rw("table", "kiosk_sessions", "kiosk_issuances", "audit", "ledger", "certificates", "issuances"),
                Grant("queue", "certificate_requests", "write"),
                Grant("bucket", "certificates", "read"),
                Grant("bucket", "jpki", "read"),
                Grant("key", "data", "read_write"),
            ),
        ),
        Function(
            "kiosk_authorizer", "functions.kiosk_issuance.authorizer.lambda_handler",
            "Lambda REQUEST authorizer of the kiosk API: registration, HMAC request signature, timestamp, nonce",
            memory_mb=512, timeout_s=10,
            grants=(
                Grant("table", "kiosks", "read"),
                Grant("table", "kiosk_nonces", "read_write"),
                Grant("key", "data", "read_write"),  # decrypts the kiosk's HMAC secret
            ),
        ),
        Function(
            "verify_api", "functions.verify_api.handler.lambda_handler",
            "Public verification of certificates (no personal data): code check and uploaded-document check",
            memory_mb=512, timeout_s=30,
            grants=(
                Grant("table", "certificates", "read"),
                Grant("table", "tenants", "read"),
                Grant("key", "data", "read"),  # decrypts the verification secret
            ),
        ),
        Function(
            "billing", "functions.billing.handler.lambda_handler",
            "Monthly and fiscal-year statements per municipality, and the next-year settlement",
            memory_mb=1024, timeout_s=900, reserved_concurrency=1,
            # 01:00 JST on the 1st is 16:00 UTC on the last day of the month before (cron runs in UTC).
            schedules=(Schedule("monthly", "cron(0 16 L * ? *)",
                                "Bills the month that ended, at 01:00 JST on the first of the next"),),
            grants=(
                Grant("table", "tenants", "read"),
                Grant("table", "issuances", "read"),
                Grant("table", "audit", "read_write"),
                Grant("bucket", "billing", "read_write"),
                Grant("key", "data", "read_write"),
            ),
        ),
    ),
    routes=(
        Route("PUT", "/municipalities/{code}", "staff_api", authorizer="operator"),
        Route("GET", "/municipalities/{code}", "staff_api", authorizer="operator"),
        Route("GET", "/municipality", "staff_api"),
        Route("POST", "/uploads", "staff_api"),
        Route("GET", "/uploads/{upload_id}", "staff_api"),
        Route("GET", "/fees/estimate", "staff_api"),
        Route("PUT", "/onboarding/applications/{code}", "staff_api", authorizer="operator"),
        Route("GET", "/onboarding/applications/{code}", "staff_api", authorizer="operator"),
        Route("GET", "/onboarding/applications", "staff_api", authorizer="operator"),
        Route("GET", "/onboarding", "staff_api"),
        Route("PUT", "/onboarding/applications/{code}/steps/{key}", "staff_api"),
        Route("PUT", "/onboarding/applications/{code}/milestones/{key}", "staff_api"),
        Route("POST", "/disasters", "staff_api"),
        Route("GET", "/disasters", "staff_api"),
        Route("GET", "/disasters/{disaster_id}", "staff_api"),
        Route("POST", "/disasters/{disaster_id}/close", "staff_api"),
        Route("POST", "/disasters/{disaster_id}/commands", "staff_api"),
        Route("GET", "/disasters/{disaster_id}/persons", "staff_api"),
        Route("GET", "/disasters/{disaster_id}/households/{household_id}", "staff_api"),
        Route("GET", "/disasters/{disaster_id}/summary", "staff_api"),
        Route("GET", "/disasters/{disaster_id}/export", "staff_api"),
        Route("POST", "/applications", "staff_api"),
        Route("GET", "/applications", "staff_api"),
        Route("GET", "/applications/{application_id}", "staff_api"),
        Route("POST", "/applications/{application_id}/match", "staff_api"),
        Route("POST", "/applications/{application_id}/status", "staff_api"),
        Route("POST", "/disasters/{disaster_id}/grants", "staff_api"),
        Route("GET", "/disasters/{disaster_id}/grants", "staff_api"),
        Route("POST", "/disasters/{disaster_id}/grants/{grant_id}/revoke", "staff_api"),
        Route("GET", "/grants", "staff_api"),
        Route("POST", "/municipalities/{code}/signing-key", "staff_api", authorizer="operator"),
        Route("POST", "/seals", "staff_api"),
        Route("GET", "/seals", "staff_api"),
        Route("POST", "/seals/{seal_id}/confirm", "staff_api"),
        Route("POST", "/disasters/{disaster_id}/certificates", "staff_api"),
        Route("GET", "/certificates/requests/{request_id}", "staff_api"),
        Route("GET", "/certificates/{number}", "staff_api"),
        Route("POST", "/certificates/{number}/reissue", "staff_api"),
        Route("POST", "/certificates/{number}/revoke", "staff_api"),
        Route("GET", "/verify/{number}", "verify_api", authorizer="none"),
        Route("POST", "/verify/{number}/document", "verify_api", authorizer="none"),
        Route("PUT", "/kiosks/{kiosk_id}", "staff_api", authorizer="operator"),
        Route("GET", "/kiosks", "staff_api", authorizer="operator"),
        Route("PUT", "/municipalities/{code}/kiosk-service", "staff_api", authorizer="operator"),
        Route("GET", "/municipalities/{code}/kiosk-service", "staff_api", authorizer="operator"),
        Route("POST", "/kiosk/v1/sessions", "kiosk_issuance", authorizer="kiosk"),
        Route("POST", "/kiosk/v1/sessions/{session_id}/authenticate", "kiosk_issuance", authorizer="kiosk"),
        Route("GET", "/kiosk/v1/sessions/{session_id}/certificates", "kiosk_issuance", authorizer="kiosk"),
        Route("POST", "/kiosk/v1/issuances", "kiosk_issuance", authorizer="kiosk"),
        Route("GET", "/kiosk/v1/issuances/{issuance_id}", "kiosk_issuance", authorizer="kiosk"),
        Route("POST", "/kiosk/v1/issuances/{issuance_id}/result", "kiosk_issuance", authorizer="kiosk"),
    ),
    key_families=(
        KeyFamily("certificate_signing", "One ECC_NIST_P256 signing key per municipality for its certificates",
                  tag_key="purpose", tag_value="certificate-signing"),
    ),
    authorizers=(
        RequestAuthorizer("kiosk", "kiosk_authorizer",
                          "Kiosks: a registered, enabled kiosk's HMAC signature over each request",
                          identity_headers=("X-Kiosk-Id", "X-Kiosk-Timestamp", "X-Kiosk-Nonce", "X-Kiosk-Signature",
                                            "X-Kiosk-Content-SHA256"),
                          truststore_bucket="kiosk_truststore"),
    ),
)

TOPOLOGY.validate()
