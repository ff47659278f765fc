"""The lock files match pyproject.toml: a dependency added or bumped without `./dev lock` fails here
rather than installing something CI never tested."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        found[_normal(re.sub(r"\[.*\]", "", name))] = version.strip()
    return found


def locked(path: Path) -> dict[str, str]:
    text = path.read_text()
    return {_normal(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)}


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = pins(PROJECT["dependencies"])
DEV = pins(PROJECT["optional-dependencies"]["dev"])


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [("constraints.txt", {**RUNTIME, **DEV}), ("constraints-runtime.txt", RUNTIME)],
)
def test_every_pin_in_pyproject_is_locked_at_that_version(lock, wanted):
    have = locked(ROOT / lock)
    assert {name: have.get(name) for name in wanted} == wanted, f"run ./dev lock ({lock})"


@pytest.mark.parametrize("lock", ["constraints.txt", "constraints-runtime.txt"])
def test_every_locked_package_has_hashes(lock):
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
    packages = [e for e in entries if re.match(r"[A-Za-z0-9_.\-]+==", e)]
    assert packages
    assert [p.split()[0] for p in packages if "--hash=sha256:" not in p] == []


def test_the_image_installs_nothing_dev_only():
    assert not set(locked(ROOT / "constraints-runtime.txt")) & (set(DEV) - set(RUNTIME))
