"""A kiosk simulator: walks the whole kiosk flow over HTTP as a convenience-store terminal does.

Card in (a simulated My Number card file from ``infra.local.kiosk_cards``) → session → the card signs
the nonce → the list of what may be printed → the chosen certificate and copies at the listed price
(with an Idempotency-Key) → poll until the document is ready → "print" it (save the PDF) → report
the result. ``--fail CODE`` reports a failed print instead, which voids the charge.

    victim-support kiosk --card CARD --endpoint URL --kiosk-id ID --secret SECRET
                         [--kind risai|higai] [--copies N] [--out DIR] [--fail CODE]

The secret may come from the environment (``VS_KIOSK_SECRET``) instead of the command line.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from victim_support.kiosk.jpki_sim import SimulatedCard

from infra.local.kiosk_client import KioskApiError, KioskClient

SECRET_ENV = "VS_KIOSK_SECRET"  # noqa: S105 - the variable's name, not a secret


@dataclass(frozen=True)
class Printed:
    issuance_id: str
    certificate_number: str | None
    kind: str
    copies: int
    total_yen: int
    outcome: str
    pdf: Path | None
    timings_ms: dict[str, float]

    def summary(self) -> dict[str, Any]:
        return {"issuance_id": self.issuance_id, "certificate_number": self.certificate_number, "kind": self.kind,
                "copies": self.copies, "total_yen": self.total_yen, "outcome": self.outcome,
                "pdf": str(self.pdf) if self.pdf else None, "timings_ms": self.timings_ms}


def load_card(path: Path) -> tuple[SimulatedCard, str | None]:
    """The card, and the municipality the card file was made for (if it says)."""
    text = path.read_text(encoding="utf-8")
    return SimulatedCard.from_json(text), json.loads(text).get("municipality_code")


def print_certificate(client: KioskClient, card: SimulatedCard, municipality_code: str, *, kind: str | None = None,
                      copies: int = 1, out: Path | None = None, fail: str | None = None,
                      poll_timeout_s: float = 120.0, poll_interval_s: float | None = None) -> Printed:
    """The whole flow for one resident; ``KioskApiError`` carries the API's code when it refuses."""
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = round((now - started) * 1000, 1)
        started = now

    session = client.open_session(municipality_code)
    client.authenticate(session, card)
    lap("sign_in")
    listed = client.certificates(session["session_id"])["certificates"]
    option = next((o for o in listed if kind is None or o["kind"] == kind), None)
    if option is None:
        raise KioskApiError(404, {"code": "KIOSK_NOTHING_TO_PRINT", "message": f"no {kind} certificate to print"})
    lap("list")
    accepted = client.order(session["session_id"], option, copies, idempotency_key=uuid.uuid4().hex)
    lap("order")
    deadline = time.monotonic() + poll_timeout_s
    state = client.issuance(accepted["issuance_id"])
    while state["status"] == "pending":
        if time.monotonic() > deadline:
            raise TimeoutError(f"issuance {accepted['issuance_id']} still pending after {poll_timeout_s:.0f} s")
        # As the API asks (retry_after_ms), unless the caller polls on its own interval (the benchmark).
        time.sleep(poll_interval_s if poll_interval_s is not None
                   else min(state.get("retry_after_ms") or 200, 1000) / 1000)
        state = client.issuance(accepted["issuance_id"])
    lap("generate_and_fetch")
    if state["status"] != "ready":
        raise KioskApiError(409, {"code": state.get("code"), "message": "the certificate was refused"})
    pdf_path: Path | None = None
    if fail is None and out is not None:
        out.mkdir(parents=True, exist_ok=True)
        title = option["title_ja"]
        pdf_path = out / f"{title}_{municipality_code}_{state['certificate_number']}_コンビニ交付.pdf"
        pdf_path.write_bytes(base64.b64decode(state["document_base64"]))
    result = client.report(accepted["issuance_id"], "failed" if fail else "printed", fail)
    lap("result")
    return Printed(issuance_id=accepted["issuance_id"], certificate_number=state["certificate_number"],
                   kind=option["kind"], copies=copies, total_yen=result["charged_yen"], outcome=result["status"],
                   pdf=pdf_path, timings_ms=timings)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``kiosk`` command to the CLI's subparsers."""
    kiosk = sub.add_parser("kiosk", help="simulate a convenience-store kiosk printing a resident's certificate",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kiosk.add_argument("--card", type=Path, required=True, help="a card file (python -m infra.local.kiosk_cards)")
    kiosk.add_argument("--endpoint", required=True, help="the kiosk API's base URL")
    kiosk.add_argument("--kiosk-id", required=True, help="the registered kiosk")
    kiosk.add_argument("--secret", default=os.environ.get(SECRET_ENV),
                       help=f"the kiosk's HMAC secret (default: ${SECRET_ENV})")
    kiosk.add_argument("--municipality", help="whose certificate (default: the card file's municipality)")
    kiosk.add_argument("--kind", choices=("risai", "higai"), help="which certificate (default: the first listed)")
    kiosk.add_argument("--copies", type=int, default=1)
    kiosk.add_argument("--out", type=Path, default=Path("out"), help="where the printed PDF is saved")
    kiosk.add_argument("--fail", metavar="CODE", help="report a failed print with this code (voids the charge)")
    kiosk.set_defaults(func=cmd_kiosk)


def cmd_kiosk(args: argparse.Namespace) -> int:
    if not args.secret:
        print(f"a kiosk secret is needed: --secret or ${SECRET_ENV}", file=sys.stderr)
        return 2
    card, card_municipality = load_card(args.card)
    municipality = args.municipality or card_municipality
    if not municipality:
        print("the card file names no municipality: pass --municipality", file=sys.stderr)
        return 2
    client = KioskClient(args.endpoint, args.kiosk_id, args.secret)
    try:
        printed = print_certificate(client, card, municipality, kind=args.kind, copies=args.copies, out=args.out,
                                    fail=args.fail)
    except KioskApiError as error:
        print(json.dumps({"refused": error.status, **(error.body or {})}, ensure_ascii=False), file=sys.stderr)
        return 1
    print(json.dumps(printed.summary(), ensure_ascii=False, indent=2))
    return 0
