"""The card linkage: which JPKI user certificate (issuer + serial) belongs to which resident.

Item: pk = ``<code>``, sk = ``CARD#<issuer id>#<serial hex>`` in the ``card_links`` table, holding
the person id (宛名番号). The lookup always starts with the session's municipality code, so a card
linked to a resident of another municipality is simply not found through a session of this one.
Links are written by the demo and the tests (``link_card``); in production they would come from
J-LIS's certificate centre.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from victim_support.clock import Clock, iso, utc_now
from victim_support.dynamo.attributes import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def link_sk(issuer_id: str, serial_hex: str) -> str:
    return f"CARD#{issuer_id}#{serial_hex}"


class CardLink(BaseModel):
    municipality_code: str = Field(pattern=r"^\d{6}$")
    issuer_id: str
    serial_hex: str
    person_id: str = Field(pattern=r"^[0-9]{1,15}$")
    linked_at: str


class CardLinks:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, code: str, issuer_id: str, serial_hex: str) -> CardLink | None:
        resp = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                     Key={"pk": {"S": code}, "sk": {"S": link_sk(issuer_id, serial_hex)}})
        item = resp.get("Item")
        if item is None:
            return None
        return CardLink.model_validate({k: v for k, v in from_item(item).items() if k not in ("pk", "sk")})

    def put(self, link: CardLink) -> None:
        item = to_item({"pk": link.municipality_code, "sk": link_sk(link.issuer_id, link.serial_hex),
                        **link.model_dump()})
        self._client.put_item(TableName=self._table, Item=item)


def link_card(links: CardLinks, code: str, certificate_der: bytes, person_id: str, *,
              clock: Clock = utc_now) -> CardLink:
    """Link a card's certificate to a resident of ``code`` (replacing an earlier link of the same card)."""
    from cryptography import x509

    from victim_support.kiosk.jpki import issuer_id

    certificate = x509.load_der_x509_certificate(certificate_der)
    link = CardLink(municipality_code=code, issuer_id=issuer_id(certificate.issuer),
                    serial_hex=format(certificate.serial_number, "x"), person_id=person_id, linked_at=iso(clock()))
    links.put(link)
    return link
