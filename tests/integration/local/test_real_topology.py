"""The real topology starts locally, whether or not its handlers are written yet (they load lazily)."""

from __future__ import annotations

import os

import pytest
import requests

from infra.local.stack import LocalStack
from infra.topology import TOPOLOGY, env_var


def test_the_real_topology_provisions_and_serves() -> None:
    os.environ["VS_TABLE_LEFTOVER"] = "from-an-old-shell"
    try:
        with LocalStack(TOPOLOGY) as stack:
            resources = {env_var("key", k.name) for k in TOPOLOGY.keys}
            resources |= {env_var("table", t.name) for t in TOPOLOGY.tables}
            resources |= {env_var("queue", q.name) for q in TOPOLOGY.queues}
            resources |= {env_var("bucket", b.name) for b in TOPOLOGY.buckets}
            assert {n for n in stack.env if n.split("_")[1] in {"KEY", "TABLE", "QUEUE", "BUCKET"}} == resources
            assert "VS_TABLE_LEFTOVER" not in os.environ
            assert set(stack.dlq_depths()) == {q.name for q in TOPOLOGY.queues}
            anonymous = requests.get(f"{stack.api_url}/municipality", timeout=10)
            assert anonymous.status_code == 401
            with pytest.raises(RuntimeError, match="another LocalStack"), LocalStack(TOPOLOGY):
                pass
        assert os.environ["VS_TABLE_LEFTOVER"] == "from-an-old-shell"
        assert not any(name in os.environ for name in stack.env if name != "VS_TABLE_LEFTOVER")
    finally:
        os.environ.pop("VS_TABLE_LEFTOVER", None)
