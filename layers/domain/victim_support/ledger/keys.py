"""Keys of the ledger table: every partition key begins with the municipality code.

=========================================  ==========================================================
item                                       pk / sk
=========================================  ==========================================================
disaster                                   ``<code>`` / ``DISASTER#<disaster_id>``
build checkpoint of a disaster's ledger    ``<code>`` / ``DISASTER#<disaster_id>#BUILD``
household                                  ``<code>#<disaster_id>`` / ``H#<household_id>``
person                                     ``<code>#<disaster_id>`` / ``H#<household_id>#P#<person_id>``
household event (survey, support, move…)   ``<code>#<disaster_id>`` / ``H#<household_id>#E#<at>#<command_id>``
search key of a person                     ``<code>#<disaster_id>`` / ``K#<field>#<key>#<household_id>#<person_id>``
online application                         ``<code>#<disaster_id>`` / ``A#<application_id>``
remote-support grant (grantor side)        ``<grantor code>`` / ``GRANT#<grant_id>``
remote-support grant (grantee side)        ``<grantee code>`` / ``GRANTED#<grant_id>``
=========================================  ==========================================================

A household's partition holds its persons and its history together, so the household view is one
query (``begins_with(sk, "H#<household_id>")``); search is a prefix query on ``K#<field>#``.
Household and person ids are the resident file's 世帯番号 and 宛名番号; people added by hand get ids
beginning with ``X`` (never a resident file's digits).
"""

from __future__ import annotations

from typing import Literal

SearchField = Literal["KANA", "NAME", "BIRTH", "ADDR"]


def disaster_pk(code: str) -> str:
    return code


def disaster_sk(disaster_id: str) -> str:
    return f"DISASTER#{disaster_id}"


def build_sk(disaster_id: str) -> str:
    return f"DISASTER#{disaster_id}#BUILD"


def ledger_pk(code: str, disaster_id: str) -> str:
    return f"{code}#{disaster_id}"


def household_sk(household_id: str) -> str:
    return f"H#{household_id}"


def person_sk(household_id: str, person_id: str) -> str:
    return f"H#{household_id}#P#{person_id}"


def event_sk(household_id: str, at: str, command_id: str) -> str:
    return f"H#{household_id}#E#{at}#{command_id}"


def search_sk(field: SearchField, key: str, household_id: str, person_id: str) -> str:
    return f"K#{field}#{key}#{household_id}#{person_id}"


def search_prefix(field: SearchField, key_prefix: str) -> str:
    return f"K#{field}#{key_prefix}"


def application_sk(application_id: str) -> str:
    return f"A#{application_id}"


def grant_sk(grant_id: str) -> str:
    return f"GRANT#{grant_id}"


def granted_sk(grant_id: str) -> str:
    return f"GRANTED#{grant_id}"
