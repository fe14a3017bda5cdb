"""The kiosk handler's cold import beside a bare ``import boto3``: each import timed in a fresh
interpreter (the one running this, with the handler's PYTHONPATH: the domain layer and the repository
root), inside the child with ``time.perf_counter`` around the import statement alone. The figures are
medians over the runs, in milliseconds, and the handler/boto3 ratio (budget: ``RATIO_LIMIT``).

    .venv/bin/python -m tests.bench.kiosk_import [--runs 7] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_LAYER = ROOT / "layers" / "domain"
HANDLER_MODULE = "functions.kiosk_issuance.handler"
BASELINE_MODULE = "boto3"
RATIO_LIMIT = 2.5

_CHILD = (
    "import time\n"
    "started = time.perf_counter()\n"
    "import {module}\n"
    "print(repr((time.perf_counter() - started) * 1000.0))\n"
)


def handler_environment() -> dict[str, str]:
    """This process's environment with the handler's import path in front (as `make` and the Lambda
    layers give it: the ``victim_support`` package from layers/domain, ``functions`` from the root)."""
    env = dict(os.environ)
    paths = [str(DOMAIN_LAYER), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _time_import(module: str, env: dict[str, str]) -> float:
    """Milliseconds ``import module`` took in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return float(result.stdout.strip().splitlines()[-1])


def measure_cold_imports(runs: int = 7) -> dict[str, float]:
    """Median cold-import milliseconds of boto3 and of the kiosk handler, and their ratio.

    One untimed import of each first (so byte-code caches are written and the disk is warm), then
    ``runs`` alternating pairs, so drift in machine load falls on both alike."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    env = handler_environment()
    _time_import(BASELINE_MODULE, env)
    _time_import(HANDLER_MODULE, env)
    baseline: list[float] = []
    handler: list[float] = []
    for _ in range(runs):
        baseline.append(_time_import(BASELINE_MODULE, env))
        handler.append(_time_import(HANDLER_MODULE, env))
    boto3_ms = statistics.median(baseline)
    handler_ms = statistics.median(handler)
    return {"boto3_ms": boto3_ms, "handler_ms": handler_ms, "ratio": handler_ms / boto3_ms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the ratio exceeds {RATIO_LIMIT}")
    args = parser.parse_args(argv)
    figures = measure_cold_imports(args.runs)
    print(f"import boto3                          {figures['boto3_ms']:8.1f} ms (median of {args.runs})")
    print(f"import {HANDLER_MODULE}  {figures['handler_ms']:8.1f} ms (median of {args.runs})")
    print(f"ratio                                 {figures['ratio']:8.2f} (limit {RATIO_LIMIT})")
    print(json.dumps(figures))
    return 1 if args.check and figures["ratio"] > RATIO_LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
