"""A local stack over the small test topology, one per module (a LocalStack owns the process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.stack import LocalStack
from tests.integration.local.topology import TEST_TOPOLOGY

MUNICIPALITY = "434434"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # No retry backoff: a failed record is visible again at once, so redrive tests take a second.
    with LocalStack(TEST_TOPOLOGY, prefix="vs-test", retry_backoff_s=0) as running:
        yield running
