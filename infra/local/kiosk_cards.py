"""Simulated JPKI material for the local stack: the test CA's trust in the ``jpki`` bucket, resident
cards as files, and their links to residents.

``python -m infra.local.kiosk_cards --out DIR --municipality CODE --residents 1001,1002`` writes
``ca.json`` (the CA certificate and key, to issue more cards or a CRL later) and one
``card-<code>-<person id>.json`` per resident (certificate, private key, serial: what a card holds).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from victim_support.aws import AwsClients
from victim_support.kiosk.jpki import publish_trust
from victim_support.kiosk.jpki_sim import SimulatedCA, SimulatedCard
from victim_support.kiosk.links import CardLinks, link_card

CA_FILE = "ca.json"


def save_ca(ca: SimulatedCA, out: Path) -> Path:
    path = out / CA_FILE
    path.write_text(json.dumps({"certificate": ca.certificate_pem.decode("ascii"),
                                "private_key": ca.private_key_pem.decode("ascii")}, indent=2), encoding="utf-8")
    return path


def load_ca(path: Path) -> SimulatedCA:
    from cryptography import x509

    data = json.loads(path.read_text(encoding="utf-8"))
    return SimulatedCA(x509.load_pem_x509_certificate(data["certificate"].encode("ascii")),
                       data["private_key"].encode("ascii"))


def make_cards(out: Path, municipality_code: str, person_ids: Iterable[str], *,
               ca: SimulatedCA | None = None) -> dict[str, Path]:
    """A card file per resident (and the CA file when the CA is new); paths by person id."""
    out.mkdir(parents=True, exist_ok=True)
    if ca is None:
        ca = load_ca(out / CA_FILE) if (out / CA_FILE).exists() else SimulatedCA.create()
        save_ca(ca, out)
    paths: dict[str, Path] = {}
    for person_id in person_ids:
        card = ca.issue_card()
        path = out / f"card-{municipality_code}-{person_id}.json"
        document = {**json.loads(card.to_json()), "municipality_code": municipality_code, "person_id": person_id}
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        paths[person_id] = path
    return paths


def install_trust(clients: AwsClients, bucket: str, ca: SimulatedCA, *, name: str = "test-ca",
                  revoked: Iterable[int] = ()) -> None:
    """The CA certificate and a fresh CRL (listing ``revoked``) where the kiosk API reads its trust."""
    publish_trust(clients.s3, bucket, name, ca_certificate_pem=ca.certificate_pem, crl=ca.crl(revoked))


def link_cards(clients: AwsClients, table: str, municipality_code: str, cards: Mapping[str, SimulatedCard]) -> None:
    """Link each card (by person id) to that resident of the municipality."""
    links = CardLinks(clients.dynamodb, table)
    for person_id, card in cards.items():
        link_card(links, municipality_code, card.certificate_der, person_id)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.kiosk_cards", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--municipality", required=True)
    parser.add_argument("--residents", required=True, help="person ids (宛名番号), comma-separated")
    args = parser.parse_args(argv)
    paths = make_cards(args.out, args.municipality, [p for p in args.residents.split(",") if p])
    print(json.dumps({person: str(path) for person, path in paths.items()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
