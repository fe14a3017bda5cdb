"""The certificates table and the two buckets certificates use.

Certificates table (every partition key is the municipality code, so one municipality's items never
share a partition with another's and every read names the caller's code):

==============================  =====================================  ====================================
item                            pk / sk                                what
==============================  =====================================  ====================================
number counter of a fiscal year ``<code>`` / ``COUNTER#<FY>``          ``value``: the last number given
seal version counter            ``<code>`` / ``COUNTER#SEALS``         ``value``: the last seal version
certificate                     ``<code>`` / ``CERT#<number>``         kind, household, status, current issue
one issue of a certificate      ``<code>`` / ``CERT#<number>#I#<nn>``  issue date, document hash and key
request                         ``<code>`` / ``REQUEST#<request_id>``  pending → numbered → issued | refused
official seal (公印)            ``<code>`` / ``SEAL#<seal_id>``        pending → registered | rejected
signing profile                 ``<code>`` / ``SIGNING``               KMS key, its X.509 certificate, the
                                                                       verification secret's ciphertext
==============================  =====================================  ====================================

Stored items are the models' JSON dumps plus ``pk``/``sk``/``entity``; every update is conditioned
on the item's ``version`` (optimistic locking). Buckets: issued PDFs under
``<code>/certificates/<FY>/<number>-<nn>.pdf`` and seal images under ``<code>/seals/<seal_id>.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from victim_support.certificates.models import CertificateKind
from victim_support.dynamo.attributes import from_item, to_item
from victim_support.dynamo.conditions import is_condition_failure
from victim_support.errors import DomainError
from victim_support.settings import configured

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client

Item = dict[str, Any]
TransactItem = dict[str, Any]
Channel = Literal["counter", "online", "kiosk"]
Kind = Literal["risai", "higai"]
_BOOKKEEPING = frozenset({"pk", "sk", "entity"})
_M = TypeVar("_M", bound=BaseModel)


# --- Keys ---------------------------------------------------------------------------------------

def counter_sk(fiscal_year: int) -> str:
    return f"COUNTER#{fiscal_year}"


SEAL_COUNTER_SK = "COUNTER#SEALS"
SIGNING_SK = "SIGNING"


def certificate_sk(number: str) -> str:
    return f"CERT#{number}"


def issue_sk(number: str, reissue_count: int) -> str:
    return f"CERT#{number}#I#{reissue_count:02d}"


def request_sk(request_id: str) -> str:
    return f"REQUEST#{request_id}"


def seal_sk(seal_id: str) -> str:
    return f"SEAL#{seal_id}"


def key(code: str, sk: str) -> Item:
    return {"pk": {"S": code}, "sk": {"S": sk}}


def certificate_object_key(code: str, fiscal_year: int, number: str, reissue_count: int) -> str:
    return f"{code}/certificates/{fiscal_year}/{number}-{reissue_count:02d}.pdf"


def seal_object_key(code: str, seal_id: str) -> str:
    return f"{code}/seals/{seal_id}.png"


# --- Stored items -------------------------------------------------------------------------------

RequestStatus = Literal["pending", "numbered", "issued", "refused"]
CertificateStatus = Literal["issuing", "issued", "revoked", "void"]
SealStatus = Literal["pending", "registered", "rejected"]


class RequestRecord(BaseModel):
    """One request to issue (or re-issue) a certificate; the worker's unit of work.

    ``numbered``: the number (and for a re-issue the next issue) is taken, the document is not stored
    yet; a redelivered message resumes from here with the same number and date of issue.
    """

    municipality_code: str
    request_id: str
    kind: Kind
    disaster_id: str
    household_id: str
    person_id: str | None = None
    copies: int
    affected: str | None = None
    members: bool = False
    reason: str = ""
    channel: Channel
    requested_by: str
    requested_at: str
    reissue_of: str | None = Field(default=None, description="the number re-issued; None for a new certificate")
    status: RequestStatus = "pending"
    number: str | None = None
    fiscal_year: int | None = None
    reissue_count: int | None = None
    issued_on: date | None = None
    numbered_at: str | None = None
    refusal_code: str | None = None
    refusal_detail: str | None = None
    document_key: str | None = None
    document_sha256: str | None = None
    version: int = 1


class CertificateRecord(BaseModel):
    """A certificate under its number. The current issue's fields are replaced when a re-issue is
    stored; ``pending_*`` names the issue being produced (the current one stays valid meanwhile)."""

    municipality_code: str
    number: str
    fiscal_year: int
    kind: Kind
    disaster_id: str
    household_id: str
    person_id: str | None = None
    affected: str | None = None
    members: bool = False
    status: CertificateStatus
    reissue_count: int = 0
    issued_on: date | None = None
    first_issued_on: date | None = None
    request_id: str | None = None
    document_key: str | None = None
    document_sha256: str | None = None
    pending_request_id: str | None = None
    pending_reissue_count: int | None = None
    pending_issued_on: date | None = None
    revoked_at: str | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None
    version: int = 1

    @property
    def title(self) -> str:
        return CertificateKind(self.kind).title_ja


class IssueRecord(BaseModel):
    """One issue of a certificate (the first, or a re-issue): kept when a later issue supersedes it,
    so a superseded paper can still be recognised."""

    municipality_code: str
    number: str
    reissue_count: int
    issued_on: date
    issued_at: str
    request_id: str
    channel: Channel
    document_key: str
    document_sha256: str
    signing_key_id: str


class SealRecord(BaseModel):
    municipality_code: str
    seal_id: str
    status: SealStatus = "pending"
    version: int | None = Field(default=None, description="1, 2, … in the order seals are registered")
    mayor_title: str
    mayor_name: str
    valid_from: date
    filename: str
    size_bytes: int
    sha256: str
    object_key: str
    width: int | None = None
    height: int | None = None
    rejection_code: str | None = None
    rejection_detail: str | None = None
    created_at: str
    created_by: str
    registered_at: str | None = None
    registered_by: str | None = None
    item_version: int = 1


class SigningProfile(BaseModel):
    """The municipality's signing key (KMS, never exported), its certificate (DER, base64) and the
    verification-code secret as KMS ciphertext (base64; decrypted only where codes are made or checked)."""

    municipality_code: str
    status: Literal["creating", "active"]
    claim_id: str
    claimed_at: str
    key_id: str | None = None
    certificate_b64: str | None = None
    certificate_sha256: str | None = None
    valid_until: str | None = None
    secret_ciphertext_b64: str | None = None
    verify_base: str | None = None
    created_by: str
    activated_at: str | None = None


def _item(code: str, sk: str, entity: str, model: BaseModel) -> Item:
    return to_item({**model.model_dump(mode="json"), "pk": code, "sk": sk, "entity": entity})


def _model(cls: type[_M], item: Item) -> _M:
    return cls.model_validate({k: v for k, v in from_item(item).items() if k not in _BOOKKEEPING})


def request_item(record: RequestRecord) -> Item:
    return _item(record.municipality_code, request_sk(record.request_id), "request", record)


def certificate_item(record: CertificateRecord) -> Item:
    return _item(record.municipality_code, certificate_sk(record.number), "certificate", record)


def issue_item(record: IssueRecord) -> Item:
    return _item(record.municipality_code, issue_sk(record.number, record.reissue_count), "issue", record)


def seal_item(record: SealRecord) -> Item:
    return _item(record.municipality_code, seal_sk(record.seal_id), "seal", record)


def signing_item(profile: SigningProfile) -> Item:
    return _item(profile.municipality_code, SIGNING_SK, "signing", profile)


def cancellation_codes(error: ClientError) -> list[str | None]:
    """Per-item codes of a cancelled transaction (``ConditionalCheckFailed``, ``None`` …); empty for
    any other error."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return [r.get("Code") for r in error.response.get("CancellationReasons") or []]


def expect_version(version: int, name: str = "version") -> dict[str, Any]:
    return {"ConditionExpression": "#ver = :expected", "ExpressionAttributeNames": {"#ver": name},
            "ExpressionAttributeValues": {":expected": {"N": str(version)}}}


class CertificateStore:
    """Reads and conditional writes of the certificates table; the caller's municipality code is part
    of every key, so one municipality can never read or change another's items."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @property
    def client(self) -> DynamoDBClient:
        return self._client

    @property
    def table_name(self) -> str:
        return self._table

    # --- plain reads ---

    def _get(self, code: str, sk: str) -> Item | None:
        return self._client.get_item(TableName=self._table, Key=key(code, sk), ConsistentRead=True).get("Item")

    def _query(self, code: str, prefix: str) -> Iterator[Item]:
        kwargs: dict[str, Any] = {}
        while True:
            resp = self._client.query(
                TableName=self._table, KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": code}, ":prefix": {"S": prefix}}, ConsistentRead=True,
                **kwargs,
            )
            yield from resp.get("Items", [])
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def get_request(self, code: str, request_id: str) -> RequestRecord | None:
        item = self._get(code, request_sk(request_id))
        return _model(RequestRecord, item) if item else None

    def require_request(self, code: str, request_id: str) -> RequestRecord:
        found = self.get_request(code, request_id)
        if found is None:
            raise DomainError("CERTIFICATE_REQUEST_NOT_FOUND")
        return found

    def get_certificate(self, code: str, number: str) -> CertificateRecord | None:
        item = self._get(code, certificate_sk(number))
        return _model(CertificateRecord, item) if item else None

    def require_certificate(self, code: str, number: str) -> CertificateRecord:
        found = self.get_certificate(code, number)
        if found is None or found.status in ("issuing", "void"):
            raise DomainError("CERTIFICATE_NOT_FOUND")
        return found

    def issues(self, code: str, number: str) -> list[IssueRecord]:
        """Every stored issue of a certificate, the first first."""
        return [_model(IssueRecord, i) for i in self._query(code, f"{certificate_sk(number)}#I#")]

    def get_seal(self, code: str, seal_id: str) -> SealRecord | None:
        item = self._get(code, seal_sk(seal_id))
        return _model(SealRecord, item) if item else None

    def seals(self, code: str) -> list[SealRecord]:
        return [_model(SealRecord, i) for i in self._query(code, "SEAL#")]

    def get_signing(self, code: str) -> SigningProfile | None:
        item = self._get(code, SIGNING_SK)
        return _model(SigningProfile, item) if item else None

    # --- writes ---

    def put_new(self, item: Item) -> bool:
        """Store an item that must not exist yet; False when it does."""
        try:
            self._client.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def replace(self, item: Item, expected_version: int, version_attribute: str = "version") -> bool:
        """Overwrite an item whose version is still ``expected_version``; False when it changed."""
        try:
            self._client.put_item(TableName=self._table, Item=item, **expect_version(expected_version,
                                                                                      version_attribute))
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def transact(self, items: list[TransactItem]) -> None:
        """One TransactWriteItems; ``ClientError`` (with ``cancellation_codes``) when refused."""
        self._client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]

    def put_entry(self, item: Item, *, condition: dict[str, Any] | None = None) -> TransactItem:
        """A transaction entry that writes ``item`` (into this table), with an optional condition."""
        return {"Put": {"TableName": self._table, "Item": item, **(condition or {})}}

    def next_seal_version(self, code: str) -> int:
        """An atomic counter: versions are unique and increase; a failed registration may leave one
        unused, which only means seal versions, unlike certificate numbers, may skip."""
        resp = self._client.update_item(
            TableName=self._table, Key=key(code, SEAL_COUNTER_SK), UpdateExpression="ADD #v :one",
            ExpressionAttributeNames={"#v": "value"}, ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(resp["Attributes"]["value"]["N"])


@dataclass(frozen=True)
class DocumentStore:
    """The certificates bucket (issued PDFs) and the seals bucket (seal images). Each function's
    environment names only the buckets it is granted, hence the optional names."""

    s3: S3Client
    certificates_bucket: str | None
    seals_bucket: str | None

    @property
    def _certificates(self) -> str:
        return configured(self.certificates_bucket, "bucket certificates")

    @property
    def _seals(self) -> str:
        return configured(self.seals_bucket, "bucket seals")

    def put_certificate(self, object_key: str, pdf: bytes, sha256_b64: str) -> None:
        # The bucket's default encryption (SSE-KMS with the data key) applies; the checksum makes S3
        # refuse a body damaged in transit.
        self.s3.put_object(Bucket=self._certificates, Key=object_key, Body=pdf,
                           ContentType="application/pdf", ChecksumSHA256=sha256_b64)

    def get_certificate(self, object_key: str) -> bytes:
        """An issued certificate's signed PDF (the kiosk hands it out instead of a link)."""
        response = self.s3.get_object(Bucket=self._certificates, Key=object_key)
        body = response["Body"]
        try:
            data: bytes = body.read()
        finally:
            body.close()
        return data

    def certificate_link(self, object_key: str, expires_in: int) -> str:
        url: str = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._certificates, "Key": object_key,
                                  "ResponseContentType": "application/pdf"},
            ExpiresIn=expires_in,
        )
        return url

    def seal_upload_url(self, object_key: str, size_bytes: int, sha256_b64: str, expires_in: int) -> str:
        url: str = self.s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": self._seals, "Key": object_key, "ContentLength": size_bytes,
                    "ChecksumSHA256": sha256_b64, "ContentType": "image/png"},
            ExpiresIn=expires_in,
        )
        return url

    def get_seal(self, object_key: str, max_bytes: int) -> bytes | None:
        """The seal image, or None when nothing was uploaded under the key; reads at most one byte
        more than ``max_bytes`` so an oversized upload is recognised without reading it all."""
        try:
            response = self.s3.get_object(Bucket=self._seals, Key=object_key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        body = response["Body"]
        try:
            data: bytes = body.read(max_bytes + 1)
        finally:
            body.close()
        return data
