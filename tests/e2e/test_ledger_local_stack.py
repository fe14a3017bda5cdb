"""The victim ledger (被災者台帳) end to end over HTTP: residents uploaded, disasters registered and built,
every ledger command sent through the staff API and applied by the ``ledger_updates`` worker behind the
local FIFO poller, the ledger searched, summarised and exported, online applications matched and moved
through their status, remote-support grants given, used and revoked, and poison or forged queue
messages kept away from the ledger. The fine-grained rules have their tests in tests/integration; these
prove the HTTP path."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.provision import local_clients
from infra.local.staff_client import ApiError, StaffApiClient

pytestmark = pytest.mark.e2e
MASHIKI, CHIYODA = "434434", "131016"
USERS = {MASHIKI: "mashiki-bousai-01", CHIYODA: "chiyoda-shien-01"}
REGISTRATION = {"population": 33_000, "pattern": "B", "uses_bcl_issuance_server": False, "start_month": "2026-04"}
HEADER = "person_id,household_id,name,name_kana,birth_date,sex,relationship,address,phone,care_needs,protected\n"
MASHIKI_RESIDENTS = HEADER + """\
1001,1,益城　太郎,マシキ　タロウ,1970-03-12,1,世帯主,益城町宮園1丁目2番3号,096-286-3111,高齢者,
1002,1,益城　花子,マシキ　ハナコ,1972-05-01,2,妻,益城町宮園1丁目2番3号,,,
1003,1,益城　翔,マシキ　ショウ,2005-09-30,1,子,益城町宮園1丁目2番3号,,,
2001,2,木山　一郎,キヤマ　イチロウ,1950-01-20,1,世帯主,益城町木山2番地,,高齢者,
3001,3,宮園　美咲,ミヤゾノ　ミサキ,1985-07-07,2,世帯主,益城町惣領5-6,090-2222-2222,,1
3002,3,宮園　陽太,ミヤゾノ　ヨウタ,2015-04-01,1,子,益城町惣領5-6,,,
4001,4,杉堂　健,スギドウ　ケン,1960-11-03,1,世帯主,益城町杉堂10番地,,,
5001,5,広崎　正,ヒロサキ　タダシ,1945-02-11,1,世帯主,益城町広崎8番地の1,,,
"""
CHIYODA_RESIDENTS = HEADER + "1001,1,千代田　一,チヨダ　ハジメ,1980-01-01,1,世帯主,千代田区千代田1-1,,,\n"
HH1_ADDRESS = "益城町宮園1丁目2番3号"
MY_NUMBER = "123456789018"
WITHHELD = "（支援措置により非表示）"


@dataclass
class Env:
    stack: Any
    mashiki: StaffApiClient
    chiyoda: StaffApiClient
    disaster: str  # Mashiki's ledger the commands and grants work on
    queries: str  # Mashiki's ledger with a fixed set of commands, for search, summary, export, applications
    chiyoda_disaster: str


def upload(staff: StaffApiClient, path: Path, text: str) -> int:
    path.write_text(text, encoding="utf-8")
    ticket = staff.request_upload(path, "full")
    staff.put_file(ticket, path)
    status = staff.wait(ticket["upload_id"], poll_s=0.1)
    assert (status["status"], status["rows_rejected"]) == ("succeeded", 0), status
    return int(status["rows_stored"])


def register(staff: StaffApiClient, name: str, occurred_on: str, cause: str = "地震") -> dict[str, Any]:
    disaster: dict[str, Any] = staff._call("POST", "/disasters", {
        "name": name, "occurred_on": occurred_on, "cause": cause, "affected_areas": ["全域"],
        "relief_act_applies": True})
    return disaster


def wait_open(staff: StaffApiClient, disaster_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        disaster: dict[str, Any] = staff._call("GET", f"/disasters/{disaster_id}")
        if disaster["status"] == "open":
            return disaster
        time.sleep(0.1)
    raise TimeoutError(f"the ledger of {disaster_id} was not built")


def acting(municipality: str | None) -> dict[str, Any] | None:
    return {"municipality": municipality} if municipality else None


def send(staff: StaffApiClient, disaster_id: str, command: dict[str, Any], municipality: str | None = None) -> None:
    accepted = staff._call("POST", f"/disasters/{disaster_id}/commands", command, params=acting(municipality))
    assert accepted == {"command_id": command["command_id"], "household_id": command["household_id"],
                        "status": "queued"}


def view(staff: StaffApiClient, disaster_id: str, household_id: str, municipality: str | None = None) -> Any:
    return staff._call("GET", f"/disasters/{disaster_id}/households/{household_id}", params=acting(municipality))


def found(staff: StaffApiClient, disaster_id: str, municipality: str | None = None, **query: str) -> list[str]:
    page = staff._call("GET", f"/disasters/{disaster_id}/persons", params={**query, **(acting(municipality) or {})})
    return sorted(r["person_id"] for r in page["results"])


def refusal(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(ApiError) as refused:
        call()
    return refused.value.status, refused.value.body["code"]


def survey(command_id: str, household_id: str, round_: str = "1次調査", on: str = "2026-04-20",
           dwelling: str = HH1_ADDRESS, **finding: Any) -> dict[str, Any]:
    return {"type": "record_survey", "command_id": command_id, "household_id": household_id, "round": round_,
            "surveyor": "益城町 被害認定班A", "surveyed_on": on, "dwelling_address": dwelling, "completed": True,
            **finding}


def support(command_id: str, household_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": "record_support", "command_id": command_id, "household_id": household_id, "kind": kind,
            "on": "2026-05-01", **fields}


def evacuation(command_id: str, household_id: str, status: str, **fields: Any) -> dict[str, Any]:
    return {"type": "change_evacuation", "command_id": command_id, "household_id": household_id,
            "evacuation": status, **fields}


def audit(code: str) -> list[dict[str, Any]]:
    from victim_support import wiring  # the handlers' settings: the stack set them for this process

    return wiring.audit().events(code, limit=1000)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    from infra.local.stack import LocalStack

    with LocalStack() as stack:
        operator = StaffApiClient(stack.api_url, stack.issue_token(None, groups=("operators",)))
        operator.register_municipality(MASHIKI, REGISTRATION)
        operator.register_municipality(CHIYODA, {**REGISTRATION, "population": 67_000})
        mashiki, chiyoda = (StaffApiClient(stack.api_url, stack.issue_token(code, username=USERS[code]))
                            for code in (MASHIKI, CHIYODA))
        folder = tmp_path_factory.mktemp("ledger")
        assert upload(mashiki, folder / "益城町住民.csv", MASHIKI_RESIDENTS) == 8
        assert upload(chiyoda, folder / "千代田区住民.csv", CHIYODA_RESIDENTS) == 1
        disaster = register(mashiki, "令和8年益城町地震", "2026-04-14")["disaster_id"]
        queries = register(mashiki, "令和8年益城町豪雨", "2026-04-10", cause="風水害")["disaster_id"]
        chiyoda_disaster = register(chiyoda, "令和8年千代田区水害", "2026-04-14", cause="風水害")["disaster_id"]
        for staff, disaster_id in ((mashiki, disaster), (mashiki, queries), (chiyoda, chiyoda_disaster)):
            wait_open(staff, disaster_id)
        for command in (
            survey("q-survey-hh1", "1", damage_level="全壊"),
            support("q-decide-hh1", "1", "decision", method="repair"),
            support("q-pay-hh1-1", "1", "payment", amount=800_000),
            survey("q-survey-hh2", "2", dwelling="益城町木山2番地", loss_ratio="25"),
            evacuation("q-evac-hh2", "2", "shelter", whereabouts="益城町総合体育館"),
            evacuation("q-evac-hh3", "3", "relatives", whereabouts="熊本市内の親族宅"),
            {"type": "add_non_resident", "command_id": "q-add-yoshida", "household_id": "X9", "person_id": "X91",
             "name": "𠮷田　一郎", "name_kana": "ヨシダ　イチロウ", "dwelling_address": "益城町寺迫3番地"},
        ):
            send(mashiki, queries, command)
        stack.wait_idle(60)
        yield Env(stack, mashiki, chiyoda, disaster, queries, chiyoda_disaster)


# --- Disasters ------------------------------------------------------------------------------------

def test_disasters_are_registered_listed_read_and_closed(env: Env) -> None:
    registered = register(env.mashiki, "令和8年益城町余震", "2026-06-20")
    assert (registered["status"], registered["registered_by"]) == ("building", USERS[MASHIKI])
    later = registered["disaster_id"]
    assert later.startswith("D20260620-")
    opened = wait_open(env.mashiki, later)
    assert (opened["households"], opened["persons"]) == (5, 8)

    listed = [d["disaster_id"] for d in env.mashiki._call("GET", "/disasters")["disasters"]]
    assert listed == [later, env.disaster, env.queries]  # newest occurrence first
    assert [d["disaster_id"] for d in env.chiyoda._call("GET", "/disasters")["disasters"]] == [env.chiyoda_disaster]
    assert refusal(lambda: env.chiyoda._call("GET", f"/disasters/{later}")) == (404, "LEDGER_DISASTER_NOT_FOUND")

    closed = env.mashiki._call("POST", f"/disasters/{later}/close", {"reason": "災害対応の終了"})
    assert (closed["status"], closed["closed_by"]) == ("closed", USERS[MASHIKI])
    assert env.mashiki._call("GET", f"/disasters/{later}")["status"] == "closed"
    assert refusal(lambda: send(env.mashiki, later, survey("closed-survey-1", "1", damage_level="半壊"))) == (
        409, "LEDGER_DISASTER_CLOSED")
    assert refusal(lambda: env.mashiki._call("POST", f"/disasters/{later}/close", {"reason": "二重"})) == (
        409, "LEDGER_DISASTER_CLOSED")
    assert view(env.mashiki, later, "1")["household"]["damage_level"] is None  # still readable, unchanged


# --- Commands -------------------------------------------------------------------------------------

def test_every_command_type_is_applied_by_the_worker_and_shown_in_the_household_view(env: Env) -> None:
    d, staff = env.disaster, env.mashiki
    for command in (
        survey("c-survey-hh1-1", "1", damage_level="半壊"),
        survey("c-survey-hh1-2", "1", round_="2次調査", on="2026-05-10", loss_ratio="42.5"),
        survey("c-survey-hh2-1", "2", dwelling="益城町木山2番地", loss_ratio="55"),
        evacuation("c-evac-hh1", "1", "shelter", whereabouts="益城町総合体育館"),
        evacuation("c-evac-1002", "1", "hospital", person_id="1002", whereabouts="熊本市民病院"),
        support("c-decide-hh1", "1", "decision", method="repair"),
        support("c-pay-hh1-1", "1", "payment", amount=1_000_000),
        support("c-pay-too-much", "1", "payment", amount=600_000),  # refused by the worker: over the decision
        support("c-relief-hh1", "1", "relief", description="毛布と食料"),
        {"type": "record_consent", "command_id": "c-consent-1001", "household_id": "1", "person_id": "1001",
         "given": True, "scope": "社会福祉協議会"},
        {"type": "record_disclosure", "command_id": "c-disclose-1001", "household_id": "1", "person_id": "1001",
         "recipient": "益城町社会福祉協議会", "purpose": "見守り訪問", "items": ["氏名", "避難先"],
         "on": "2026-05-02", "reason": "本人同意に基づく提供"},
        {"type": "correct_person", "command_id": "c-correct-1002", "household_id": "1", "person_id": "1002",
         "name_kana": "ﾏｼｷ ﾊﾅｴ", "phone": "090-1111-2222", "my_number": MY_NUMBER},
        {"type": "add_non_resident", "command_id": "c-add-visitor", "household_id": "1", "person_id": "X1",
         "name": "帰省　者", "name_kana": "キセイ　シャ", "address": "福岡市中央区天神1-1"},
        {"type": "add_non_resident", "command_id": "c-add-household", "household_id": "X7", "person_id": "X2",
         "name": "旅行　者", "name_kana": "リョコウ　シャ", "dwelling_address": "益城町木山9番地"},
        {"type": "close_household", "command_id": "c-close-hh4", "household_id": "4", "reason": "転出のため"},
    ):
        send(staff, d, command)
    env.stack.wait_idle(60)

    first = view(staff, d, "1")
    household = first["household"]
    # The 2次調査's loss ratio (42.5 %) gives 大規模半壊 and replaces the 1次調査's 半壊; both stay in the history.
    assert (household["damage_level"], household["damage_round"]) == ("大規模半壊", "2次調査")
    surveys = [e["details"] for e in first["history"] if e["type"] == "record_survey"]
    assert [(s["round"], s["damage_level"]) for s in surveys] == [("1次調査", "半壊"), ("2次調査", "大規模半壊")]
    assert (household["evacuation"], household["whereabouts"]) == ("shelter", "益城町総合体育館")
    assert (household["support_decided"], household["support_paid"]) == (1_500_000, 1_000_000)
    assert (household["members"], household["single_person"]) == (4, False)
    applied = {e["command_id"] for e in first["history"]}
    assert applied == {"c-survey-hh1-1", "c-survey-hh1-2", "c-evac-hh1", "c-evac-1002", "c-decide-hh1",
                       "c-pay-hh1-1", "c-relief-hh1", "c-consent-1001", "c-disclose-1001", "c-correct-1002",
                       "c-add-visitor"}
    disclosure = next(e for e in first["history"] if e["type"] == "record_disclosure")
    assert (disclosure["actor"], disclosure["reason"]) == (USERS[MASHIKI], "本人同意に基づく提供")
    assert disclosure["details"]["recipient"] == "益城町社会福祉協議会"
    members = {m["person_id"]: m for m in first["members"]}
    assert members["1001"]["consent"]["given"] is True and members["1001"]["consent"]["scope"] == "社会福祉協議会"
    hanako = members["1002"]
    assert (hanako["evacuation"], hanako["whereabouts"], hanako["phone"], hanako["name_kana"]) == (
        "hospital", "熊本市民病院", "090-1111-2222", "マシキ　ハナエ")
    assert hanako["has_my_number"] is True
    assert MY_NUMBER not in json.dumps(first)
    assert (members["X1"]["resident"], members["X1"]["name"]) == (False, "帰省　者")
    assert found(staff, d, kana="ましき はなえ") == ["1002"]  # the corrected reading is searchable

    second = view(staff, d, "2")["household"]
    assert (second["damage_level"], second["damage_round"]) == ("全壊", "1次調査")  # from the 55 % loss ratio
    new = view(staff, d, "X7")
    assert (new["household"]["head_person_id"], new["household"]["members"]) == ("X2", 1)
    assert new["household"]["dwelling_address"] == "益城町木山9番地"
    closed = view(staff, d, "4")
    assert closed["household"]["closed"] is True and [e["type"] for e in closed["history"]] == ["close_household"]
    assert refusal(lambda: send(staff, d, survey("c-after-close", "4", damage_level="半壊"))) == (
        409, "LEDGER_HOUSEHOLD_CLOSED")
    refused = [e for e in audit(MASHIKI) if e["action"] == "ledger.command_refused"]
    assert [(e["details"]["command_id"], e["details"]["code"]) for e in refused] == [
        ("c-pay-too-much", "LEDGER_PAYMENT_EXCEEDS_DECISION")]


def test_the_same_command_id_is_applied_once(env: Env) -> None:
    command = evacuation("dup-evac-hh5", "5", "relatives", whereabouts="熊本市の長女宅")
    send(env.mashiki, env.disaster, command)
    send(env.mashiki, env.disaster, command)
    env.stack.wait_idle(60)
    send(env.mashiki, env.disaster, {**command, "whereabouts": "別の場所"})  # after it was applied
    env.stack.wait_idle(60)

    fifth = view(env.mashiki, env.disaster, "5")
    assert [e["command_id"] for e in fifth["history"]] == ["dup-evac-hh5"]
    assert (fifth["household"]["evacuation"], fifth["household"]["whereabouts"]) == ("relatives", "熊本市の長女宅")
    assert fifth["household"]["version"] == 2


# --- Queries --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ({"kana": "ましき"}, ["1001", "1002", "1003"]),
    ({"kana": "ﾏｼｷ ﾀﾛｳ"}, ["1001"]),
    ({"kana": "キヤマ　イチロウ"}, ["2001"]),
    ({"name": "益城 花子"}, ["1002"]),
    ({"name": "益城　太郎"}, ["1001"]),
    ({"birth": "S25.1.20"}, ["2001"]),
    ({"birth": "平成17年9月30日"}, ["1003"]),
    ({"address": "益城町宮園１－２－３"}, ["1001", "1002", "1003"]),
    ({"address": "益城町宮園一丁目2番地の3"}, ["1001", "1002", "1003"]),
    ({"address": "益城町惣領"}, ["3001", "3002"]),  # own staff find the protected household
    ({"kana": "ましき", "birth": "1972"}, ["1002"]),
    ({"kana": "よしだ"}, ["X91"]),  # added by hand
])
def test_persons_are_found_whatever_the_width_space_kana_or_date_form(env: Env, query: dict[str, str],
                                                                       expected: list[str]) -> None:
    assert found(env.mashiki, env.queries, **query) == expected


def test_the_summary_counts_and_the_protected_household_view_is_audited(env: Env) -> None:
    summary = env.mashiki._call("GET", f"/disasters/{env.queries}/summary")
    assert (summary["households"], summary["persons"], summary["closed_households"]) == (6, 9, 0)
    assert summary["by_damage_level"] == {"全壊": 1, "大規模半壊": 0, "中規模半壊": 0, "半壊": 1, "準半壊": 0,
                                          "準半壊に至らない（一部損壊）": 0, "未調査": 4}
    assert (summary["by_evacuation"]["shelter"], summary["by_evacuation"]["relatives"],
            summary["by_evacuation"]["unknown"]) == (1, 1, 4)
    assert (summary["support_decided_total"], summary["support_paid_total"]) == (2_000_000, 800_000)
    assert (summary["households_with_care_needs"], summary["persons_with_care_needs"]) == (2, 2)
    text = json.dumps(summary, ensure_ascii=False)
    assert "惣領" not in text and "宮園" not in text and "親族宅" not in text

    protected = view(env.mashiki, env.queries, "3")
    assert protected["protected"] is True
    assert {m["address"] for m in protected["members"]} == {"益城町惣領5-6"}  # own staff see it
    assert protected["household"]["whereabouts"] == "熊本市内の親族宅"
    viewed = [e for e in audit(MASHIKI) if e["action"] == "ledger.protected_viewed"
              and e["details"]["disaster_id"] == env.queries]
    assert [(e["target"], e["details"]["person_ids"], e["actor"]) for e in viewed] == [
        ("3", ["3001"], USERS[MASHIKI])]


def download(result: dict[str, Any], encoding: str) -> tuple[bytes, dict[str, dict[str, str]]]:
    response = requests.get(result["url"], timeout=30)
    assert response.status_code == 200
    header, *rows = csv.reader(io.StringIO(response.content.decode(encoding)))
    return response.content, {row[1]: dict(zip(header, row, strict=True)) for row in rows}


def test_the_export_in_cp932_and_utf8_withholds_the_protected_household_and_is_audited(env: Env) -> None:
    cp932 = env.mashiki._call("GET", f"/disasters/{env.queries}/export")
    assert cp932["encoding"] == "cp932" and cp932["key"].startswith(f"{MASHIKI}/exports/{env.queries}/")
    assert (cp932["rows"], cp932["withheld_rows"], cp932["replaced_characters"]) == (9, 2, 1)
    raw, rows = download(cp932, "cp932")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert set(rows) == {"1001", "1002", "1003", "2001", "3001", "3002", "4001", "5001", "X91"}
    assert (rows["1001"]["住所"], rows["1001"]["住家の被害の程度"], rows["1001"]["支援金支給額"]) == (
        HH1_ADDRESS, "全壊", "800000")
    assert rows["2001"]["避難状況"] == "避難所"
    for person_id in ("3001", "3002"):
        assert (rows[person_id]["住所"], rows[person_id]["被災住家の所在地"]) == (WITHHELD, WITHHELD)
    assert rows["3001"]["居所"] == WITHHELD and rows["3001"]["氏名"] == "宮園　美咲"
    assert rows["X91"]["氏名"] == "〓田　一郎"  # 𠮷 is not in CP932

    utf8 = env.mashiki._call("GET", f"/disasters/{env.queries}/export", params={"encoding": "utf-8"})
    assert (utf8["encoding"], utf8["rows"], utf8["replaced_characters"]) == ("utf-8", 9, 0)
    raw, rows = download(utf8, "utf-8-sig")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert rows["X91"]["氏名"] == "𠮷田　一郎"
    assert rows["3002"]["住所"] == WITHHELD
    exported = [e for e in audit(MASHIKI) if e["action"] == "ledger.exported" and e["target"] == env.queries]
    assert sorted(e["details"]["key"] for e in exported) == sorted([cp932["key"], utf8["key"]])


# --- Online applications --------------------------------------------------------------------------

def application(application_id: str, kana: str, birth: str, **fields: Any) -> dict[str, Any]:
    return {"application_id": application_id, "disaster_id": "", "certificate_kind": "罹災証明書",
            "applicant_name": "申請　者", "applicant_kana": kana, "birth_date": birth,
            "address": "熊本県上益城郡益城町宮園1丁目2番3号", "dwelling_address": "熊本県上益城郡益城町宮園1丁目2番3号",
            "delivery": "post", "submitted_at": "2026-04-25T10:15:00+09:00", **fields}


def test_online_applications_are_matched_and_move_through_their_status(env: Env) -> None:
    staff, d = env.mashiki, env.queries

    def post(body: dict[str, Any]) -> Any:
        return staff._call("POST", "/applications", {**body, "disaster_id": d})

    def step(application_id: str, status: str) -> Any:
        return staff._call("POST", f"/applications/{application_id}/status", {"status": status})

    auto = post(application("PITARI-E2E-0001", "ﾏｼｷ ﾀﾛｳ", "1970-03-12"))
    assert (auto["status"], auto["match"], auto["household_id"], auto["person_id"]) == ("受付", "auto", "1", "1001")
    assert post(application("PITARI-E2E-0001", "ゴンベエ", "1990-01-01", copies=5)) == auto  # the portal retried
    pending = post(application("PITARI-E2E-0002", "ゴンベエ", "1990-01-01"))
    assert (pending["match"], pending["household_id"], pending["match_candidates"]) == ("pending", None, 0)
    unsurveyed = post(application("PITARI-E2E-0003", "すぎどう けん", "1960-11-03"))
    assert (unsurveyed["match"], unsurveyed["household_id"]) == ("auto", "4")

    queue = staff._call("GET", "/applications", params={"disaster_id": d, "match": "pending"})
    assert [a["application_id"] for a in queue["applications"]] == ["PITARI-E2E-0002"]
    assert refusal(lambda: staff._call("POST", "/applications/PITARI-E2E-0002/match",
                                       {"household_id": "1", "person_id": "9999"})) == (404, "LEDGER_PERSON_NOT_FOUND")
    matched = staff._call("POST", "/applications/PITARI-E2E-0002/match", {"household_id": "1", "person_id": "1002"})
    assert (matched["match"], matched["person_id"], matched["matched_by"]) == ("manual", "1002", USERS[MASHIKI])
    assert staff._call("GET", "/applications", params={"disaster_id": d, "match": "pending"})["applications"] == []

    assert step("PITARI-E2E-0002", "調査中")["status"] == "調査中"
    assert refusal(lambda: step("PITARI-E2E-0002", "交付可")) == (409, "APPLICATION_TRANSITION_INVALID")
    for status in ("判定済", "交付可", "交付済"):  # household 1 is surveyed (全壊)
        done = step("PITARI-E2E-0002", status)
    assert [h["status"] for h in done["history"]] == ["受付", "調査中", "判定済", "交付可", "交付済"]
    assert refusal(lambda: staff._call("POST", "/applications/PITARI-E2E-0002/match",
                                       {"household_id": "1", "person_id": "1001"})) == (409, "APPLICATION_MATCH_LOCKED")
    step("PITARI-E2E-0003", "調査中")
    assert refusal(lambda: step("PITARI-E2E-0003", "判定済")) == (409, "APPLICATION_NOT_SURVEYED")

    assert staff._call("GET", "/applications/PITARI-E2E-0002")["status"] == "交付済"
    listed = staff._call("GET", "/applications", params={"disaster_id": d})["applications"]
    assert [(a["application_id"], a["status"]) for a in listed] == [
        ("PITARI-E2E-0001", "受付"), ("PITARI-E2E-0002", "交付済"), ("PITARI-E2E-0003", "調査中")]
    assert refusal(lambda: env.chiyoda._call("GET", "/applications/PITARI-E2E-0001")) == (404, "APPLICATION_NOT_FOUND")


# --- Remote support, tenant isolation, the queue --------------------------------------------------

def grant(env: Env, role: str, starts_in: timedelta = timedelta(hours=-1)) -> dict[str, Any]:
    now = datetime.now(UTC)
    given: dict[str, Any] = env.mashiki._call("POST", f"/disasters/{env.disaster}/grants", {
        "grantee_code": CHIYODA, "role": role, "valid_from": (now + starts_in).isoformat(),
        "valid_until": (now + starts_in + timedelta(days=7)).isoformat(), "reason": "窓口応援"})
    return given


def test_a_remote_support_grant_lets_a_helper_read_and_write_within_its_role_until_revoked(env: Env) -> None:
    d, helper = env.disaster, env.chiyoda
    assert refusal(lambda: view(helper, d, "5")) == (404, "LEDGER_DISASTER_NOT_FOUND")  # its own ledgers only
    assert refusal(lambda: view(helper, d, "5", MASHIKI)) == (403, "FORBIDDEN")
    future = grant(env, "editor", starts_in=timedelta(days=1))
    assert refusal(lambda: view(helper, d, "5", MASHIKI)) == (403, "FORBIDDEN")  # not valid yet

    viewer = grant(env, "viewer")
    held = {g["grant_id"]: g["live_now"] for g in helper._call("GET", "/grants")["grants"]}
    assert held == {future["grant_id"]: False, viewer["grant_id"]: True}
    assert helper._call("GET", f"/disasters/{d}", params=acting(MASHIKI))["disaster_id"] == d
    assert view(helper, d, "1", MASHIKI)["members"][0]["address"] == HH1_ADDRESS
    sheltered = view(helper, d, "3", MASHIKI)
    assert {m["address"] for m in sheltered["members"]} == {""}
    assert all("address" in m["withheld"] for m in sheltered["members"])
    assert sheltered["household"]["dwelling_address"] == ""
    assert "惣領" not in json.dumps(sheltered, ensure_ascii=False)
    by_kana = helper._call("GET", f"/disasters/{d}/persons", params={"kana": "みやぞの", "municipality": MASHIKI})
    assert [(r["person_id"], r["address"], r["withheld"]) for r in by_kana["results"]] == [
        ("3001", "", ["address"]), ("3002", "", ["address"])]
    assert found(helper, d, MASHIKI, address="益城町惣領") == []  # the match alone would locate them
    remote_summary = helper._call("GET", f"/disasters/{d}/summary", params=acting(MASHIKI))
    own_summary = env.mashiki._call("GET", f"/disasters/{d}/summary")
    assert {**remote_summary, "computed_at": ""} == {**own_summary, "computed_at": ""}
    remote_write = evacuation("r-evac-hh2", "2", "temporary_housing")
    assert refusal(lambda: send(helper, d, remote_write, MASHIKI)) == (403, "FORBIDDEN")  # a viewer

    editor = grant(env, "editor")
    send(helper, d, remote_write, MASHIKI)
    assert refusal(lambda: send(helper, d, {
        "type": "record_disclosure", "command_id": "r-disclose-3001", "household_id": "3", "person_id": "3001",
        "recipient": "民生委員", "purpose": "見守り", "items": ["氏名"], "on": "2026-05-03"}, MASHIKI)) == (
        403, "LEDGER_PROTECTED_PERSON")
    env.stack.wait_idle(60)
    second = view(env.mashiki, d, "2")
    assert second["household"]["evacuation"] == "temporary_housing"
    (event,) = [e for e in second["history"] if e["command_id"] == "r-evac-hh2"]
    assert (event["actor"], event["acting_for"]) == (USERS[CHIYODA], CHIYODA)

    for given in (viewer, editor):
        revoked = env.mashiki._call("POST", f"/disasters/{d}/grants/{given['grant_id']}/revoke", {"reason": "応援終了"})
        assert revoked["revoked_by"] == USERS[MASHIKI]
    assert refusal(lambda: view(helper, d, "1", MASHIKI)) == (403, "FORBIDDEN")
    assert refusal(lambda: send(helper, d, evacuation("r-evac-late", "2", "at_home"), MASHIKI)) == (403, "FORBIDDEN")
    given = env.mashiki._call("GET", f"/disasters/{d}/grants")["grants"]
    assert {g["grant_id"]: g["live_now"] for g in given} == {
        future["grant_id"]: False, viewer["grant_id"]: False, editor["grant_id"]: False}
    remote = [e for e in audit(MASHIKI) if e["action"].startswith("remote.")]
    assert {e["details"]["grant_id"] for e in remote} == {viewer["grant_id"], editor["grant_id"]}
    assert {e["actor"] for e in remote} == {USERS[CHIYODA]}
    assert any(e["action"] == "ledger.protected_viewed" and e["details"]["acting_for"] == CHIYODA
               for e in audit(MASHIKI))


def enqueue(env: Env, body: str, *, group: str, dedup: str) -> None:
    local_clients(env.stack.endpoint_url).sqs.send_message(
        QueueUrl=env.stack.resources.queue_urls["ledger_commands"], MessageBody=body, MessageGroupId=group,
        MessageDeduplicationId=dedup)


def test_a_command_for_another_municipality_s_household_is_never_applied(env: Env) -> None:
    before = view(env.mashiki, env.disaster, "5")
    command = survey("iso-survey-hh5", "5", dwelling="益城町広崎8番地の1", damage_level="全壊")
    assert refusal(lambda: send(env.chiyoda, env.chiyoda_disaster, command)) == (404, "LEDGER_HOUSEHOLD_NOT_FOUND")
    assert refusal(lambda: send(env.chiyoda, env.disaster, command)) == (404, "LEDGER_DISASTER_NOT_FOUND")
    # A message put on the queue by hand, naming 千代田区 and 益城町's disaster and household.
    forged = {"municipality_code": CHIYODA, "disaster_id": env.disaster, "actor": USERS[CHIYODA],
              "sent_at": "2026-05-05T00:00:00.000Z", "command": {**command, "command_id": "iso-forged-hh5"}}
    enqueue(env, json.dumps(forged, ensure_ascii=False), group=f"{CHIYODA}#{env.disaster}#5", dedup="iso-forged")
    env.stack.wait_idle(60)

    refused = [e for e in audit(CHIYODA) if e["action"] == "ledger.command_refused"]
    assert [(e["details"]["command_id"], e["details"]["code"]) for e in refused] == [
        ("iso-forged-hh5", "LEDGER_DISASTER_NOT_FOUND")]
    assert view(env.mashiki, env.disaster, "5") == before


def test_a_poison_message_lands_in_the_dlq_while_the_other_commands_are_applied(env: Env) -> None:
    dead_before = env.stack.dlq_depths()["ledger_commands"]
    poison = {"municipality_code": MASHIKI, "disaster_id": env.disaster, "command": {"type": "explode"}}
    enqueue(env, json.dumps(poison), group=f"{MASHIKI}#{env.disaster}#poison", dedup="poison-0001")
    send(env.mashiki, env.disaster, evacuation("p-evac-hh3", "3", "shelter"))
    send(env.chiyoda, env.chiyoda_disaster, survey("p-survey-chiyoda", "1", dwelling="千代田区千代田1-1",
                                                    damage_level="全壊"))
    env.stack.wait_idle(90)  # the poison is received max_receive_count times, then moved to the DLQ

    assert env.stack.dlq_depths()["ledger_commands"] == dead_before + 1
    assert view(env.mashiki, env.disaster, "3")["household"]["evacuation"] == "shelter"
    assert view(env.chiyoda, env.chiyoda_disaster, "1")["household"]["damage_level"] == "全壊"
    dead = local_clients(env.stack.endpoint_url).sqs.receive_message(
        QueueUrl=env.stack.resources.dlq_urls["ledger_commands"], MaxNumberOfMessages=10,
        VisibilityTimeout=0).get("Messages", [])
    assert [json.loads(m["Body"])["command"]["type"] for m in dead] == ["explode"]
    assert all(depth == 0 for name, depth in env.stack.dlq_depths().items() if name != "ledger_commands")
