from __future__ import annotations

import pytest

from tests.unit.certificates.data import seal_png_bytes


@pytest.fixture(scope="session")
def seal_png() -> bytes:
    return seal_png_bytes()
