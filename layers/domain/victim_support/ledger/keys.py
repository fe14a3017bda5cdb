"""Keys of the ledger table: every partition key begins with the municipality code.

A disaster's ledger is spread over many small partitions, so that no query reads more than what it
answers and no partition takes the writes of a whole build or of every command (DynamoDB serves about
1,000 write units and 3,000 read units a second per partition; the local emulator's query costs what the
partition holds). ``<L>`` below is ``<code>#<disaster_id>`` (``ledger_pk``).

==================================  ================================  ==============================================
item                                pk                                sk
==================================  ================================  ==============================================
disaster                            ``<code>``                        ``DISASTER#<disaster_id>``
build checkpoint                    ``<code>``                        ``DISASTER#<disaster_id>#BUILD``
application pointer (portal id)     ``<code>``                        ``APPLICATION#<application_id>``
online application                  ``<L>``                           ``A#<application_id>``
household                           ``<L>#H#<household_id>``          ``H#<household_id>``
person                              ``<L>#H#<household_id>``          ``H#<household_id>#P#<person_id>``
household event (survey, support…)  ``<L>#H#<household_id>``          ``H#<household_id>#E#<at>#<command_id>``
household directory row             ``<L>#DIR#<shard>``               ``<household_id>``
member stub (during a build)        ``<L>#B#<shard>``                 ``<household_id>#<person_id>``
search key of a person              ``<L>#K#<field>#<search shard>``  ``K#<field>#<key>#<household_id>#<person_id>``
remote-support grant (grantor)      ``<grantor code>``                ``GRANT#<grant_id>``
remote-support grant (grantee)      ``<grantee code>``                ``GRANTED#<grant_id>``
==================================  ================================  ==============================================

``<shard>`` is ``crc32(household_id) mod 16`` in two digits (``household_shard``); the search shard is the
first character of the key for KANA and NAME, the year (``YYYY``) for BIRTH, and the household's shard
(``mod ADDRESS_SHARDS``) for ADDR.

Why this layout:

- **One partition per household** holds the household, its persons and its history, so the household
  view is one small query and a command reads and writes only its own household's partition (plus its
  directory row and the person's search keys). Sort keys keep the household id, so an item names its
  household wherever it is read, and ``H#<id>`` up to ``H#<id>$`` is the whole household.
- **The household directory** lists a disaster's households over ``DIRECTORY_SHARDS`` partitions (by a
  stable hash of the household id) with what the summary counts (level, evacuation, support, closed)
  and the ids of the household's persons and of those with care needs. The command that changes a
  household, adds a person or changes their care needs updates the row in the same transaction. The
  summary reads the shards in parallel; the export merges them in household order and reads the
  households and persons by key (BatchGetItem, 100 a request), so no request reads a household's
  events. 16 shards: 50,000 households are about 3,000 rows of ~200 bytes a shard, and commands on
  different households write to 16 partitions.
- **Member stubs** (``B#``) exist only between the build's two passes: the persons pass writes one per
  resident, grouped by household, and the households pass turns each household's stubs into the
  household and its directory row and deletes them.
- **Search keys** are sharded so that a query prefix names its partition: the first character of a
  reading (KANA) or a name (NAME), the year of a birth date (BIRTH). Any non-empty reading or name and
  any year is still a valid query. The largest of these partitions holds the commonest initial (サ,
  山: 11-13 % of the bench's synthetic residents, less in real, more varied names): a prefix query
  reads only its range of it, and the build's writes spread over dozens of partitions per field. An
  address has no such
  character: its beginning is the municipality's own name, written with or without the prefecture
  and district, so every address of a municipality would share one partition; ADDR keys are spread
  over ``ADDRESS_SHARDS`` partitions by household and an address search queries them all in parallel,
  merging in key order.
- Disasters, checkpoints, application pointers and grants stay in the municipality's small partition;
  applications in ``<L>``.

Household and person ids are the resident file's 世帯番号 and 宛名番号; people added by hand get ids
beginning with ``X`` (never a resident file's digits).
"""

from __future__ import annotations

import zlib
from typing import Literal

SearchField = Literal["KANA", "NAME", "BIRTH", "ADDR"]

DIRECTORY_SHARDS = 16
ADDRESS_SHARDS = 16


def disaster_pk(code: str) -> str:
    return code


def disaster_sk(disaster_id: str) -> str:
    return f"DISASTER#{disaster_id}"


def build_sk(disaster_id: str) -> str:
    return f"DISASTER#{disaster_id}#BUILD"


def ledger_pk(code: str, disaster_id: str) -> str:
    """The prefix of every partition of a disaster's ledger, and the partition of its applications."""
    return f"{code}#{disaster_id}"


def household_pk(code: str, disaster_id: str, household_id: str) -> str:
    """The partition of one household: the household, its persons and its events."""
    return f"{ledger_pk(code, disaster_id)}#H#{household_id}"


def household_sk(household_id: str) -> str:
    return f"H#{household_id}"


def person_sk(household_id: str, person_id: str) -> str:
    return f"H#{household_id}#P#{person_id}"


def event_sk(household_id: str, at: str, command_id: str) -> str:
    return f"H#{household_id}#E#{at}#{command_id}"


def household_shard(household_id: str) -> int:
    """A stable shard (0..DIRECTORY_SHARDS-1) of a household (crc32: the same in every process)."""
    return zlib.crc32(household_id.encode()) % DIRECTORY_SHARDS


def directory_pk(code: str, disaster_id: str, shard: int) -> str:
    return f"{ledger_pk(code, disaster_id)}#DIR#{shard:02d}"


def directory_pks(code: str, disaster_id: str) -> list[str]:
    return [directory_pk(code, disaster_id, shard) for shard in range(DIRECTORY_SHARDS)]


def directory_key(code: str, disaster_id: str, household_id: str) -> tuple[str, str]:
    """(pk, sk) of a household's directory row."""
    return directory_pk(code, disaster_id, household_shard(household_id)), household_id


def stub_pk(code: str, disaster_id: str, shard: int) -> str:
    return f"{ledger_pk(code, disaster_id)}#B#{shard:02d}"


def stub_key(code: str, disaster_id: str, household_id: str, person_id: str) -> tuple[str, str]:
    """(pk, sk) of a member stub written by the build's persons pass."""
    return stub_pk(code, disaster_id, household_shard(household_id)), f"{household_id}#{person_id}"


def _search_shard(field: SearchField, key: str, household_id: str) -> str:
    if field == "ADDR":
        return f"{zlib.crc32(household_id.encode()) % ADDRESS_SHARDS:02d}"
    return key[:4] if field == "BIRTH" else key[:1]


def search_pk(code: str, disaster_id: str, field: SearchField, key: str, household_id: str) -> str:
    """The partition of a stored search key (``key`` is the whole normalised key, never empty)."""
    return f"{ledger_pk(code, disaster_id)}#K#{field}#{_search_shard(field, key, household_id)}"


def search_pks(code: str, disaster_id: str, field: SearchField, key_prefix: str) -> list[str]:
    """The partitions holding every key that begins with ``key_prefix``: one for KANA and NAME (a
    non-empty prefix) and BIRTH (a prefix of at least the year), every ADDR shard for an address."""
    base = f"{ledger_pk(code, disaster_id)}#K#{field}#"
    if field == "ADDR":
        return [f"{base}{shard:02d}" for shard in range(ADDRESS_SHARDS)]
    width = 4 if field == "BIRTH" else 1
    if len(key_prefix) < width:
        raise ValueError(f"a {field} prefix needs at least {width} character(s) to name its partition")
    return [base + key_prefix[:width]]


def search_sk(field: SearchField, key: str, household_id: str, person_id: str) -> str:
    return f"K#{field}#{key}#{household_id}#{person_id}"


def search_prefix(field: SearchField, key_prefix: str) -> str:
    return f"K#{field}#{key_prefix}"


def application_sk(application_id: str) -> str:
    return f"A#{application_id}"


def application_pointer_sk(application_id: str) -> str:
    return f"APPLICATION#{application_id}"


def grant_sk(grant_id: str) -> str:
    return f"GRANT#{grant_id}"


def granted_sk(grant_id: str) -> str:
    return f"GRANTED#{grant_id}"
