from __future__ import annotations

import hmac
import re
from datetime import date

import pytest
from victim_support.certificates.verification import check_code, normalize_code, verification_code, verify_url

SECRET = bytes(range(32))
ISSUED = date(2026, 11, 27)
FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def code(**changes: object) -> str:
    args: dict[str, object] = {"secret": SECRET, "municipality_code": "434434", "number": "2026-000123",
                               "issued_on": ISSUED, "reissue_count": 0}
    args.update(changes)
    return verification_code(**args)  # type: ignore[arg-type]


def test_the_code_is_16_crockford_characters_in_four_groups() -> None:
    value = code()
    assert FORMAT.match(value), value
    assert not set(value) & set("ILOU")
    assert code() == value  # deterministic


def test_every_input_changes_the_code() -> None:
    base = code()
    changed = [
        code(secret=bytes(range(1, 33))), code(municipality_code="131016"), code(number="2026-000124"),
        code(issued_on=date(2026, 11, 28)), code(reissue_count=1),
    ]
    assert base not in changed
    assert len(set(changed)) == len(changed)


def test_field_boundaries_cannot_be_shifted() -> None:
    # "434434" + "1-2" and "4344341" + "-2" must not collide.
    assert code(municipality_code="434434", number="1-2") != code(municipality_code="4344341", number="-2")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        code(secret=b"short")


def test_the_check_accepts_what_a_person_types() -> None:
    value = code()
    args = (SECRET, "434434", "2026-000123", ISSUED, 0)
    assert check_code(*args, value)
    assert check_code(*args, value.lower())
    assert check_code(*args, value.replace("-", ""))
    assert check_code(*args, " ".join(value.split("-")))
    assert normalize_code("o1il-") == "0111"


def test_the_check_refuses_other_codes() -> None:
    value = code()
    args = (SECRET, "434434", "2026-000123", ISSUED, 0)
    flipped = ("1" if value[0] != "1" else "2") + value[1:]
    assert not check_code(*args, flipped)
    assert not check_code(*args, "")
    assert not check_code(*args, value[:-1])
    assert not check_code(*args, value + "0")
    assert not check_code(*args, "ＡＢＣＤ")  # non-ASCII input is a refusal, not an error
    assert not check_code(SECRET, "434434", "2026-000123", ISSUED, 1, value)  # a superseded issue


def test_the_check_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    original = hmac.compare_digest

    def compare(a: str, b: str) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", compare)  # the module verification uses
    value = code()
    assert check_code(SECRET, "434434", "2026-000123", ISSUED, 0, value.lower())
    assert calls == [(value, value)]


def test_the_verification_url() -> None:
    assert verify_url("verify.example.lg.jp", "2026-000123", "ABCD-EFGH-JKMN-PQRS") == (
        "https://verify.example.lg.jp/verify/2026-000123?code=ABCD-EFGH-JKMN-PQRS"
    )
    assert verify_url("https://example.lg.jp/certificates/", "12/3", "ABCD-EFGH-JKMN-PQRS") == (
        "https://example.lg.jp/certificates/verify/12%2F3?code=ABCD-EFGH-JKMN-PQRS"
    )
    for bad in ("", "http://example.lg.jp", "example .lg.jp"):
        with pytest.raises(ValueError, match="verify_base"):
            verify_url(bad, "1", "ABCD-EFGH-JKMN-PQRS")
