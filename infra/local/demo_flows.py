"""The demo's disaster, ledger and certificate steps, driven through the staff API over HTTP.

Each function narrates on stderr (through ``say``) and returns what the demo prints on stdout.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import requests

from infra.local.staff_client import ApiError, StaffApiClient

Say = Callable[[str], None]


def households_of(resident_file: Path, count: int) -> list[str]:
    """The first household ids of the demo's resident file (CP932), in file order."""
    seen: list[str] = []
    with resident_file.open(encoding="cp932", newline="") as stream:
        reader = csv.reader(stream)
        column = next(reader).index("世帯番号")
        for row in reader:
            if len(row) > column and row[column].isdigit() and row[column] not in seen:
                seen.append(row[column])
    return seen[: count * 3]  # spares: a household whose rows were all rejected is skipped


def _wait(check: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool],
          timeout_s: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("the local stack did not finish in time")
        time.sleep(0.25)


def disaster_and_ledger(stack: Any, staff: StaffApiClient, resident_file: Path, say: Say) -> dict[str, Any]:
    """Register a disaster, wait for its ledger, survey three households (one re-survey that changes the
    level), decide support for one, and return the disaster summary."""
    disaster = staff._call("POST", "/disasters", {
        "name": "デモ地震（益城町）", "occurred_on": date.today().isoformat(), "cause": "地震",
        "affected_areas": ["益城町全域"], "relief_act_applies": True,
    })
    disaster_id = disaster["disaster_id"]
    disaster = _wait(lambda: staff._call("GET", f"/disasters/{disaster_id}"), lambda d: d["status"] == "open")
    say(f"    ledger {disaster_id}: {disaster['households']:,} households, {disaster['persons']:,} persons")

    def dwelling(household: str) -> str | None:
        """The household's dwelling as the ledger has it (the head's address); None if not in the ledger."""
        try:
            view = staff._call("GET", f"/disasters/{disaster_id}/households/{household}")
        except ApiError as error:
            if error.status == 404:
                return None  # a household whose every row was rejected is not in the ledger
            raise
        address: str = view["household"]["dwelling_address"]
        return address

    def send(body: dict[str, Any]) -> bool:
        try:
            staff._call("POST", f"/disasters/{disaster_id}/commands", body)
        except ApiError as error:
            if error.status == 404:
                return False  # a household whose every row was rejected is not in the ledger
            raise
        return True

    surveyed: list[str] = []
    addresses: dict[str, str] = {}
    ratios = ["55.0", "42.5", "12.0"]
    for household in households_of(resident_file, 3):
        if len(surveyed) == len(ratios):
            break
        ratio = ratios[len(surveyed)]
        address = dwelling(household)
        if address and send({"type": "record_survey", "command_id": f"demo-survey-{household}",
                             "household_id": household, "round": "1次調査", "surveyor": "被害認定調査班A",
                             "surveyed_on": date.today().isoformat(), "dwelling_address": address,
                             "loss_ratio": ratio, "reason": "1次調査（外観）"}):
            surveyed.append(household)
            addresses[household] = address
    # The third household disputes its 準半壊 and gets a 2次調査 (interior): 半壊.
    send({"type": "record_survey", "command_id": f"demo-resurvey-{surveyed[2]}", "household_id": surveyed[2],
          "round": "2次調査", "surveyor": "被害認定調査班B", "surveyed_on": date.today().isoformat(),
          "dwelling_address": addresses[surveyed[2]], "loss_ratio": "24.0", "reason": "住民の申出による2次調査"})
    send({"type": "record_support", "command_id": f"demo-support-{surveyed[0]}", "household_id": surveyed[0],
          "kind": "decision", "method": "build_or_buy", "on": date.today().isoformat(),
          "reason": "被災者生活再建支援金の支給決定"})
    send({"type": "change_evacuation", "command_id": f"demo-evacuation-{surveyed[1]}",
          "household_id": surveyed[1], "evacuation": "shelter", "reason": "避難所へ避難"})
    stack.wait_idle(120)
    for household in surveyed:
        view = staff._call("GET", f"/disasters/{disaster_id}/households/{household}")
        level = view["household"].get("damage_level")
        rounds = [e["details"].get("round") for e in view["history"] if e["type"] == "record_survey"]
        say(f"    household {household}: {level} (rounds: {', '.join(r for r in rounds if r)}), "
            f"support decided {view['household'].get('support_decided', 0):,} yen")
    summary: dict[str, Any] = staff._call("GET", f"/disasters/{disaster_id}/summary")
    return {"disaster_id": disaster_id, "surveyed": surveyed, "summary": summary}


def counter_certificate(stack: Any, operator: StaffApiClient, staff: StaffApiClient, code: str,
                        disaster_id: str, household_id: str, out: Path, say: Say) -> dict[str, Any]:
    """Create the signing key (operator), register the seal, issue a 罹災証明書 at the counter and save
    the signed PDF under ``out``."""
    from infra.local.demo_seal import seal_png

    operator._call("POST", f"/municipalities/{code}/signing-key", {})
    out.mkdir(parents=True, exist_ok=True)
    seal = out / "公印.png"
    seal.write_bytes(seal_png())
    from infra.local.staff_client import file_digest

    size, sha256 = file_digest(seal)
    ticket = staff._call("POST", "/seals", {"filename": seal.name, "size_bytes": size, "sha256": sha256,
                                            "mayor_title": "益城町長", "mayor_name": "西村　博則",
                                            "valid_from": date.today().replace(day=1).isoformat()})
    staff.put_file(ticket, seal)
    staff._call("POST", f"/seals/{ticket['seal_id']}/confirm")
    say("    seal registered (公印登録); signing key created in KMS")
    accepted = staff._call("POST", f"/disasters/{disaster_id}/certificates",
                           {"kind": "risai", "household_id": household_id, "copies": 1, "members": True})
    view = _wait(lambda: staff._call("GET", f"/certificates/requests/{accepted['request_id']}"),
                 lambda v: v["status"] != "pending", timeout_s=120)
    if view["status"] != "issued":
        raise RuntimeError(f"the certificate was refused: {view.get('code')}")
    pdf = requests.get(view["download_url"], timeout=30)
    pdf.raise_for_status()
    path = out / f"罹災証明書_{code}_{view['number']}.pdf"
    path.write_bytes(pdf.content)
    say(f"    罹災証明書 {view['number']} issued and signed → {path} ({len(pdf.content):,} bytes)")
    return {"number": view["number"], "pdf": str(path), "sha256": view["document_sha256"]}


DEMO_KIOSK = "familymart-mashiki-0001"


def kiosk_print(stack: Any, operator: StaffApiClient, staff: StaffApiClient, code: str, disaster_id: str,
                households: list[str], out: Path, say: Say) -> dict[str, Any]:
    """Register a kiosk (operator), open the service all day for the demo, give the head of a surveyed
    household a simulated My Number card, and print their 罹災証明書 at the kiosk simulator."""
    from victim_support.kiosk.jpki_sim import SimulatedCA

    from infra.local.kiosk_cards import install_trust, link_cards, make_cards, save_ca
    from infra.local.kiosk_client import KioskApiError, KioskClient
    from infra.local.kiosk_simulator import load_card, print_certificate
    from infra.local.provision import local_clients

    registered = operator._call("PUT", f"/kiosks/{DEMO_KIOSK}", {
        "operator": "FamilyMart", "store_name": "益城木山店", "location_code": code, "rotate_secret": True})
    # The demo runs at any hour; the real default is 06:30–23:00 JST, closed 29 Dec – 3 Jan.
    operator._call("PUT", f"/municipalities/{code}/kiosk-service",
                   {"opens": "00:00", "closes": "24:00", "closed_periods": []})
    say(f"    kiosk {DEMO_KIOSK} registered; its HMAC secret returned once")
    clients = local_clients(stack.endpoint_url)
    cards_dir = out / "cards"
    cards_dir.mkdir(parents=True, exist_ok=True)
    ca = SimulatedCA.create()  # the test JPKI CA the kiosk API trusts, kept beside the card files
    save_ca(ca, cards_dir)
    install_trust(clients, stack.resources.buckets["jpki"], ca)
    client = KioskClient(stack.api_url, DEMO_KIOSK, registered["secret"])
    for household in households:
        view = staff._call("GET", f"/disasters/{disaster_id}/households/{household}")
        head = view["household"].get("head_person_id")
        if view.get("protected") or not head:
            continue
        path = make_cards(cards_dir, code, [head], ca=ca)[head]
        card, _ = load_card(path)
        link_cards(clients, stack.resources.tables["card_links"], code, {head: card})
        try:
            printed = print_certificate(client, card, code, kind="risai", out=out)
        except KioskApiError as error:
            if error.code == "KIOSK_NOT_AVAILABLE":  # moved out in the delta file: try another household
                continue
            raise
        say(f"    card {path.name}: signed in, {printed.kind} {printed.certificate_number} printed → {printed.pdf} "
            f"({printed.total_yen} yen paid at the kiosk)")
        return printed.summary()
    raise RuntimeError("no surveyed household could be served at the kiosk")
