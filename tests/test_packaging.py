"""Dependencies: ranges in pyproject, a hashed lock of what the function runs, and the tests run
on exactly that lock."""

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCK = (ROOT / "function" / "requirements.txt").read_text()
# Import name -> distribution, where they differ.
DISTRIBUTIONS = {"google": None, "functions_framework": "functions-framework", "yaml": "pyyaml"}


def locked() -> dict[str, tuple[str, str | None]]:
    """name -> (version, marker) of every pin of the lock."""
    pins = {}
    for match in re.finditer(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)(?: ; ([^\\\n]+))?", LOCK, re.M):
        pins[canonicalize_name(match[1])] = (match[2], match[3])
    return pins


def test_runtime_dependencies_are_compatible_ranges() -> None:
    for line in PROJECT["dependencies"]:
        spec = Requirement(line).specifier
        assert any(s.operator == ">=" for s in spec), line
        assert any(s.operator == "<" for s in spec), line
        assert not any(s.operator == "==" for s in spec), line


def test_lock_is_pinned_hashed_and_satisfies_pyproject() -> None:
    pins = locked()
    blocks = [b for b in re.split(r"\n(?=\S)", LOCK) if re.match(r"[A-Za-z0-9]", b)]
    assert len(blocks) == len(pins) > 20
    assert all("--hash=sha256:" in block for block in blocks)
    for line in PROJECT["dependencies"]:
        requirement = Requirement(line)
        version, _ = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), (line, version)
    # Cloud Functions needs functions-framework listed (its Python buildpack contract).
    assert "functions-framework" in pins


def test_tests_run_on_the_locked_versions() -> None:
    for name, (version, marker) in locked().items():
        if marker and not Marker(marker).evaluate():
            continue
        assert importlib.metadata.version(name) == version, name


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_every_imported_package_is_declared() -> None:
    # The runtime, and the extras of optional features (cli, litellm); not the test tooling.
    features = [
        d for name, ds in PROJECT["optional-dependencies"].items() if name not in ("dev", "bench")
        for d in ds
    ]  # fmt: skip
    declared = {canonicalize_name(Requirement(d).name) for d in PROJECT["dependencies"] + features}
    imported = set().union(*(_imports(p) for p in (ROOT / "function").rglob("*.py")))
    third_party = set()
    for name in imported:
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in ("ai_impact", "main"):
            continue
        if top == "google":  # namespace package: google.cloud.bigquery, google.api_core, ...
            top = ".".join(
                name.split(".")[:3] if name.startswith("google.cloud") else name.split(".")[:2]
            )
            top = top.replace(".", "-").replace("_", "-")
        third_party.add(canonicalize_name(DISTRIBUTIONS.get(top) or top))
    assert third_party <= declared, third_party - declared
    assert {"werkzeug", "pydantic", "google-api-core", "google-auth"} <= third_party


def test_no_tracked_symlinks_or_local_environments() -> None:
    """A clone must build on any machine: no symlink (it would point into the author's disk) and no
    virtual environment is tracked. A tracked `.venv` link once broke CI on a fresh clone."""
    import subprocess

    listing = subprocess.run(
        ["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    links = [line.split("\t", 1)[1] for line in listing if line.startswith("120000")]
    assert links == []
    names = [line.split("\t", 1)[1] for line in listing]
    assert not [n for n in names if n == ".venv" or n.startswith(".venv/")]
