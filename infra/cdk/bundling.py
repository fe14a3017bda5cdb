"""Lambda assets built on this machine: no Docker, no npm.

Three directories, each handed to ``aws_lambda.Code.from_asset`` as is (no bundling options, so CDK
never starts a container):

* function code: ``build/functions/<hash>/functions/`` (only the ``functions`` package);
* domain layer: ``build/layers/domain/<hash>/python/victim_support/``;
* dependencies layer: ``build/layers/deps/<hash>/python/``, the runtime dependency list of
  ``pyproject.toml`` installed by pip for the Lambda platform, minus what the runtime provides.

Every directory is content-addressed (the hash covers its inputs) and built in a temporary sibling
that is renamed into place, so concurrent synths (``make synth`` and the tests) never see a
half-written asset and an unchanged input is never rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

from infra import fonts
from infra.cdk.defaults import LAMBDA_PYTHON_VERSION, PIP_PLATFORM

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
PYPROJECT = ROOT / "pyproject.toml"
FUNCTIONS_SOURCE = ROOT / "functions"
DOMAIN_SOURCE = ROOT / "layers" / "domain" / "victim_support"

# Provided by the Lambda Python runtime; shipping them would shadow the runtime's patched copies.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
)
# What those distributions put at the top of site-packages.
RUNTIME_PROVIDED_MODULES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py"}
)
# Bump when the layout of a built directory changes, to invalidate old caches.
_FORMAT = 1
_KEEP_BUILDS = 3
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache")
_PIP_PLATFORM_ARGS = (
    "--platform", PIP_PLATFORM, "--python-version", LAMBDA_PYTHON_VERSION,
    "--implementation", "cp", "--only-binary=:all:",
)
_MISSING = re.compile(r"No matching distribution found for (\S+)")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def canonicalize_name(name: str) -> str:
    """PEP 503 normalised project name (``Python_DateUtil`` → ``python-dateutil``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = _NAME.match(requirement.strip())
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return canonicalize_name(match.group())


class DependencyBuildError(RuntimeError):
    """The dependencies layer could not be built for the Lambda platform."""


def function_code() -> Path:
    """A directory whose only content is the ``functions`` package."""
    return _content_addressed(
        BUILD / "functions", _tree_digest(FUNCTIONS_SOURCE),
        lambda out: shutil.copytree(FUNCTIONS_SOURCE, out / "functions", ignore=_IGNORED),
    )


class FontMissingError(RuntimeError):
    """A font the domain layer must ship is not in the source tree."""


def domain_layer() -> Path:
    """The shared library as a layer: ``python/victim_support`` lands on the runtime's sys.path.

    The layer copies the package wholesale, fonts included; the fallback font is fetched at build
    time (not committed), so its absence stops the build here instead of failing certificates later.
    """
    if not fonts.is_installed():
        raise FontMissingError(
            f"{fonts.FONT_DIR / fonts.IPAMJ_MINCHO.font_file} is missing or not the pinned file: "
            "run `python -m infra.fonts` (make venv does) before synth"
        )
    return _content_addressed(
        BUILD / "layers" / "domain", _tree_digest(DOMAIN_SOURCE),
        lambda out: shutil.copytree(DOMAIN_SOURCE, out / "python" / "victim_support", ignore=_IGNORED),
    )


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """``[project.dependencies]``: the one place the runtime dependency list is written."""
    with pyproject.open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def layer_requirements(requirements: Iterable[str]) -> list[str]:
    """The requirements the layer must ship: everything the runtime does not already provide."""
    return [r for r in requirements if requirement_name(r) not in RUNTIME_PROVIDED]


def deps_layer() -> Path:
    """The third-party dependencies layer, cached by requirement list + platform."""
    requirements = layer_requirements(runtime_requirements())
    key = json.dumps({"requirements": requirements, "platform": PIP_PLATFORM,
                      "python": LAMBDA_PYTHON_VERSION, "excluded": sorted(RUNTIME_PROVIDED),
                      "format": _FORMAT}, sort_keys=True)
    return _content_addressed(
        BUILD / "layers" / "deps", hashlib.sha256(key.encode()).hexdigest()[:16],
        lambda out: _install_deps(requirements, out / "python"),
    )


def _install_deps(requirements: list[str], target: Path) -> None:
    wheelhouse = BUILD / "wheelhouse"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    pins = _resolve(requirements, wheelhouse)
    # --no-deps from the resolved pins: the runtime-provided packages (botocore, pulled in by
    # aws-xray-sdk) were resolved, then dropped, and must not come back as dependencies.
    _pip("install", "--quiet", "--no-deps", "--no-compile", "--target", str(target),
         "--find-links", str(wheelhouse), *_PIP_PLATFORM_ARGS, *pins)
    shutil.rmtree(target / "bin", ignore_errors=True)
    leaked = runtime_provided_in(target)
    if leaked:
        raise DependencyBuildError(f"runtime-provided packages leaked into the deps layer: {leaked}")


def runtime_provided_in(site: Path) -> list[str]:
    """Entries of a site-packages directory that belong to the runtime-provided packages."""
    return sorted(
        p.name for p in site.iterdir()
        if p.name in RUNTIME_PROVIDED_MODULES
        or (p.name.endswith(".dist-info") and canonicalize_name(p.name.split("-")[0]) in RUNTIME_PROVIDED)
    )


def _resolve(requirements: list[str], wheelhouse: Path) -> list[str]:
    """Pin the full dependency closure for the Lambda platform, minus runtime-provided packages.

    A requirement with no wheel on the index (an sdist-only, pure-Python package) is built into a
    wheel locally and the resolution retried; a platform-specific sdist fails loudly.
    """
    for _ in range(10):
        result = _pip("install", "--dry-run", "--quiet", "--ignore-installed", "--report", "-",
                      "--find-links", str(wheelhouse), *_PIP_PLATFORM_ARGS, *requirements, check=False)
        if result.returncode == 0:
            report = json.loads(result.stdout)
            return sorted(
                f"{item['metadata']['name']}=={item['metadata']['version']}"
                for item in report["install"]
                if canonicalize_name(item["metadata"]["name"]) not in RUNTIME_PROVIDED
            )
        missing = _MISSING.search(result.stderr)
        if missing is None:
            raise DependencyBuildError(f"pip could not resolve the layer requirements:\n{result.stderr}")
        _build_pure_wheel(missing.group(1), wheelhouse)
    raise DependencyBuildError("gave up resolving after building 10 local wheels")


def _build_pure_wheel(requirement: str, wheelhouse: Path) -> None:
    before = set(wheelhouse.glob("*.whl"))
    _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheelhouse), requirement)
    for wheel in set(wheelhouse.glob("*.whl")) - before:
        if not wheel.name.endswith("-none-any.whl"):
            wheel.unlink()
            raise DependencyBuildError(
                f"{requirement} has no {PIP_PLATFORM} wheel and builds a platform wheel ({wheel.name}) "
                "here: it needs a wheel built for the Lambda platform"
            )


def _pip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if check and result.returncode != 0:
        raise DependencyBuildError(f"{' '.join(command)} failed:\n{result.stderr}")
    return result


def _tree_digest(source: Path) -> str:
    digest = hashlib.sha256(f"format={_FORMAT}".encode())
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or any(part in {"__pycache__", ".mypy_cache", ".pytest_cache"}
                                for part in relative.parts) or path.suffix in {".pyc", ".pyo"}:
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _content_addressed(parent: Path, key: str, build: Callable[[Path], object]) -> Path:
    """``parent/key``, built once by ``build(tmpdir)`` and renamed into place."""
    final = parent / key
    if final.is_dir():
        return final
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=parent))
    try:
        build(staging)
        try:
            staging.rename(final)
        except OSError:
            if not final.is_dir():  # lost a race only if the winner left a complete build
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(parent, keep=final)
    return final


def _prune(parent: Path, keep: Path) -> None:
    """Keep the newest few builds: stale hashes of edited sources would otherwise pile up."""
    builds = sorted((p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in builds[_KEEP_BUILDS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
