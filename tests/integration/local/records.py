"""What the test handlers saw, for the tests to inspect (outlives re-imports of ``handlers``)."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

lock = threading.Lock()
api_events: list[tuple[dict[str, Any], dict[str, Any]]] = []
work_events: list[dict[str, Any]] = []
attempts: defaultdict[str, int] = defaultdict(int)
notifications: list[dict[str, Any]] = []
