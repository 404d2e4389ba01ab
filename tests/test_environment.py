"""environment.yml (the conda route) and pyproject.toml must list the same packages."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    """The normalised package name of a requirement such as 'numpy>=1.26'."""
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _conda_packages() -> dict[str, str]:
    """Conda dependencies of environment.yml (name -> spec), without python, pip and pip's list."""
    specs, section = {}, None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        line = line.split("#", 1)[0].rstrip()
        if re.match(r"^\w", line):
            section = line.rstrip(":")
        elif section == "dependencies" and (m := re.match(r"^  - (\S+)$", line)):
            specs[_name(m.group(1))] = m.group(1)
    specs.pop("python", None)
    specs.pop("pip", None)
    specs.pop("pip:", None)  # the pip section installs the course package itself
    return specs


def _pyproject_packages() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return {_name(r): r.replace(" ", "") for r in reqs}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    conda, pip = _conda_packages(), _pyproject_packages()
    assert sorted(conda) == sorted(pip), (
        f"only in environment.yml: {sorted(set(conda) - set(pip))}; "
        f"only in pyproject.toml: {sorted(set(pip) - set(conda))}"
    )


def test_environment_yml_uses_the_same_version_bounds():
    conda, pip = _conda_packages(), _pyproject_packages()
    for name, spec in pip.items():
        assert conda[name] == spec, f"{name}: pyproject says {spec!r}, environment.yml {conda[name]!r}"


def test_environment_yml_pins_python_311():
    assert re.search(r"^  - python=3\.11$", (ROOT / "environment.yml").read_text(), re.M)
