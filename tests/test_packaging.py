"""The Cloud Functions build installs exactly what the package declares."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_requirements_txt_equals_pyproject_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = (ROOT / "function" / "requirements.txt").read_text().splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert sorted(requirements) == sorted(project["dependencies"])
    # Cloud Functions needs functions-framework listed (its Python buildpack contract).
    assert any(r.startswith("functions-framework==") for r in requirements)


def test_every_dependency_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = project["dependencies"] + [
        d for ds in project["optional-dependencies"].values() for d in ds
    ]
    assert all("==" in p for p in pins), pins
