"""The victim ledger as CSV: one row per person with the ledger's columns (災害対策基本法 第90条の3).

Rules every export follows, whoever asks:

- Members of a household with a person under 支援措置 never have their address (with 方書),
  whereabouts, phone, notes or the household's dwelling address written out: the cells read ``（支援措置により非表示）``
  (a file leaves the system's control once downloaded; members share the dwelling, so any member's
  address would disclose the protected person's).
- My Number is not a column (the ledger only says whether one is held).
- CP932 (the default, what municipal Excel opens without asking) cannot hold every character a name
  may use (𠮷, 﨑 outside CP932's table, emoji). Such characters become 〓 (geta, the customary mark for
  a character that cannot be printed) and are counted in the answer, so staff know to check the
  original; the JIS/CP932 look-alikes (〜 − ‖ — ¢ £ ¬) are written as CP932's own code points first,
  they are not replacements. UTF-8 files start with a BOM so Excel reads them as UTF-8.
- Cells that a spreadsheet would run as a formula (starting with = + - @) get a leading apostrophe.

Exports are written to the reports bucket under ``<code>/exports/<disaster_id>/<timestamp>-<6 hex>.csv``
(encrypted by the bucket's default, expired with the bucket's lifecycle), answered with a short-lived
presigned GET URL, and audited as a disclosure (``ledger.exported``).
"""

from __future__ import annotations

import csv
import io
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from victim_support.audit import AuditLog
from victim_support.auth import Caller
from victim_support.clock import Clock, iso, utc_now
from victim_support.ledger.access import GrantRepository, audit_remote
from victim_support.ledger.models import Household, Person
from victim_support.ledger.queries import LedgerReader, item_kind, open_ledger

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

Encoding = Literal["cp932", "utf-8"]

WITHHELD = "（支援措置により非表示）"
GETA = "〓"
_SPOOL_LIMIT = 8 * 1024 * 1024

COLUMNS = (
    "世帯番号", "宛名番号", "氏名", "氏名カナ", "生年月日", "性別", "続柄", "住所", "居所", "電話番号",
    "要配慮者区分", "要配慮の理由", "被災住家の所在地", "住家の被害の程度", "調査区分", "避難状況",
    "支援金決定額", "支援金支給額", "罹災証明書交付状況", "情報提供の同意", "住民区分", "備考",
)

_SEX = {"1": "男", "2": "女", "9": "不明"}
_EVACUATION = {
    "at_home": "在宅", "shelter": "避難所", "relatives": "親族・知人宅", "vehicle": "車中泊",
    "temporary_housing": "応急仮設住宅", "hospital": "病院・施設", "unknown": "不明",
}
_CERTIFICATE = {"none": "未申請", "applied": "申請中", "issued": "交付済", "reissued": "再交付済", "revoked": "取消"}
# Unicode code points that JIS-based systems produce where CP932 has its own (Python's cp932 codec
# refuses the former): mapping them is not a loss, so they are not counted as replacements.
_CP932_VARIANTS = str.maketrans({
    "\u301c": "\uff5e",  # 〜 wave dash → ～
    "\u2016": "\u2225",  # ‖ → ∥
    "\u2212": "\uff0d",  # − minus → －
    "\u2014": "\u2015",  # — em dash → ―
    "\u00a2": "\uffe0",  # ¢
    "\u00a3": "\uffe1",  # £
    "\u00ac": "\uffe2",  # ¬
})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_cp932_text(text: str) -> tuple[str, int]:
    """The text with every character CP932 cannot encode replaced by 〓, and how many were replaced."""
    text = text.translate(_CP932_VARIANTS)
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        pass
    else:
        return text, 0
    out: list[str] = []
    replaced = 0
    for char in text:
        try:
            char.encode("cp932")
        except UnicodeEncodeError:
            out.append(GETA)
            replaced += 1
        else:
            out.append(char)
    return "".join(out), replaced


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _consent(person: Person) -> str:
    if person.consent is None:
        return "未確認"
    if not person.consent.given:
        return "不同意"
    return f"同意（{person.consent.scope}）" if person.consent.scope else "同意"


def export_row(household: Household | None, person: Person) -> tuple[list[str], bool]:
    """One person's row (COLUMNS order) and whether fields were withheld under 支援措置."""
    protected = person.protected or bool(household and household.protected)

    def shown(value: str) -> str:
        return WITHHELD if protected and value else value

    level = household.damage_level.value if household and household.damage_level else ""
    # A person's own evacuation and whereabouts, where recorded, else the household's.
    evacuation = person.evacuation or (household.evacuation if household else "")
    whereabouts = person.whereabouts or (household.whereabouts if household else "")
    row = [
        person.household_id, person.person_id, person.name, person.name_kana,
        person.birth_date.isoformat() if person.birth_date else "", _SEX.get(person.sex, ""), person.relationship,
        shown(" ".join(part for part in (person.address, person.address_extra) if part)), shown(whereabouts),
        shown(person.phone), ";".join(person.care_needs), person.care_reason,
        shown(household.dwelling_address) if household else "",
        level, household.damage_round.value if household and household.damage_round else "",
        _EVACUATION.get(evacuation, evacuation),
        str(household.support_decided) if household else "", str(household.support_paid) if household else "",
        _CERTIFICATE.get(household.certificate, household.certificate) if household else "",
        _consent(person), "住民" if person.resident else "住民以外", shown(person.notes),
    ]
    return [_cell(value) for value in row], protected


class ExportCounts(BaseModel):
    rows: int = 0
    withheld_rows: int = 0
    replaced_characters: int = 0


def write_csv(rows: Iterable[list[str]], out: IO[bytes], encoding: Encoding, counts: ExportCounts) -> None:
    """The header and rows as CSV (CRLF) into ``out``; CP932 replacements are added to ``counts``."""
    if encoding == "utf-8":
        out.write(b"\xef\xbb\xbf")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in _with_header(rows):
        if encoding == "cp932":
            converted = [to_cp932_text(value) for value in row]
            counts.replaced_characters += sum(n for _, n in converted)
            row = [text for text, _ in converted]
        writer.writerow(row)
        out.write(buffer.getvalue().encode(encoding))
        buffer.seek(0)
        buffer.truncate()


def _with_header(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    yield list(COLUMNS)
    yield from rows


def ledger_rows(items: Iterable[dict[str, Any]], counts: ExportCounts) -> Iterator[list[str]]:
    """Rows from the ledger's household and person items in key order (each household before its persons)."""
    household: Household | None = None
    for item in items:
        kind = item_kind(item["sk"])
        if kind == "household":
            household = Household.model_validate(item)
        elif kind == "person":
            person = Person.model_validate(item)
            row, withheld = export_row(household if household and household.household_id == person.household_id
                                       else None, person)
            counts.rows += 1
            counts.withheld_rows += withheld
            yield row


class ExportStore:
    """Export files in the reports bucket."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def put(self, key: str, body: IO[bytes], content_type: str) -> None:
        self._s3.upload_fileobj(body, self._bucket, key, ExtraArgs={"ContentType": content_type})

    def link(self, key: str, expires_in: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in)
        return url


class ExportResult(BaseModel):
    key: str
    url: str = Field(description="presigned GET, valid for expires_in seconds")
    expires_in: int
    encoding: Encoding
    rows: int = Field(description="one per person")
    withheld_rows: int = Field(description="rows whose location fields are withheld under 支援措置")
    replaced_characters: int = Field(description="characters CP932 cannot hold, written as 〓 (0 for UTF-8)")


def export_key(code: str, disaster_id: str, at: str) -> str:
    stamp = at.replace("-", "").replace(":", "")
    # The random suffix keeps two exports in the same second apart.
    return f"{code}/exports/{disaster_id}/{stamp}-{secrets.token_hex(3)}.csv"


def export_ledger(caller: Caller, disaster_id: str, *, encoding: Encoding = "cp932", municipality: str | None = None,
                  reader: LedgerReader, store: ExportStore, grants: GrantRepository, audit: AuditLog,
                  link_expires_in: int, clock: Clock = utc_now) -> ExportResult:
    """Writes the ledger's CSV, answers a presigned link, audits the disclosure.

    The households and persons are read by key from the directory's ids (``LedgerReader.ledger_items``):
    100 items a request, a few requests at a time, and no event read.
    """
    access, _ = open_ledger(caller, disaster_id, "read", municipality=municipality, reader=reader, grants=grants,
                            clock=clock)
    code = access.municipality_code
    counts = ExportCounts()
    key = export_key(code, disaster_id, iso(clock()))
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_LIMIT) as spool:
        write_csv(ledger_rows(reader.ledger_items(code, disaster_id), counts), spool, encoding, counts)
        spool.seek(0)
        charset = "windows-31j" if encoding == "cp932" else "utf-8"  # windows-31j is CP932's registered name
        store.put(key, spool, f"text/csv; charset={charset}")
    details = {"disaster_id": disaster_id, "key": key, "encoding": encoding, **counts.model_dump(),
               "acting_for": access.acting_for, "grant_id": access.grant_id}
    audit.record(code, actor=access.actor, action="ledger.exported", target=disaster_id,
                 reason="ledger export (disclosure)", details=details)
    audit_remote(access, audit, action="ledger.exported", target=disaster_id, details={"rows": counts.rows})
    return ExportResult(key=key, url=store.link(key, link_expires_in), expires_in=link_expires_in,
                        encoding=encoding, **counts.model_dump())
