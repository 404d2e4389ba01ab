"""The versions pyproject.toml declares are the versions `make test-oldest` installs and tests.

``requirements-oldest.txt`` pins every dependency to its declared floor. Run inside the
oldest-versions environment (``make test-oldest`` sets OLDEST_VERSIONS), the test also checks
that those very versions are the ones installed.
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _floors() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", dep.split(";")[0].strip())
        assert match, f"dependency {dep!r} has no plain >= floor"
        out[match.group(1).lower()] = match.group(2)
    return out


def _pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements-oldest.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            out[name.lower()] = version
    return out


def test_every_floor_is_pinned_for_the_oldest_run():
    floors, pins = _floors(), _pins()
    assert set(pins) == set(floors)
    for name, floor in floors.items():
        pinned = pins[name]
        assert pinned == floor or pinned.startswith(floor + "."), f"{name}: floor {floor}, pinned {pinned}"


def _tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def test_the_installed_versions_meet_the_floors_or_are_the_floors():
    """Everywhere: at least the floor. In `make test-oldest` (OLDEST_VERSIONS set): exactly it."""
    exact = bool(os.environ.get("OLDEST_VERSIONS"))
    for name, version in _pins().items():
        installed = metadata.version(name)
        if exact:
            assert installed == version, f"{name}: {installed} installed, {version} pinned"
        else:
            assert _tuple(installed) >= _tuple(version), f"{name}: {installed} is below the floor {version}"
