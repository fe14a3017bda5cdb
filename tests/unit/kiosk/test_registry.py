from __future__ import annotations

import re

from victim_support.kiosk.registry import new_secret


def test_a_new_kiosk_secret_is_256_bits_of_hex_that_a_command_line_takes_as_a_value() -> None:
    secrets = {new_secret() for _ in range(200)}
    assert len(secrets) == 200
    assert all(re.fullmatch("[0-9a-f]{64}", secret) for secret in secrets)  # never a leading "-"
