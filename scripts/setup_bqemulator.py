"""Install the local BigQuery emulator the tests use, offline fixes included, in its own
virtualenv: .venv/bq (inside the project's .venv, so that `make clean` and .gitignore cover
it). Idempotent: does nothing when the pins are already installed.

bqemulator (PyPI) runs BigQuery SQL on DuckDB. It lives apart from the project's environment
because its dependencies (fastapi, starlette, grpcio-tools, sqlglot<30.12, a pytest plugin
importing testcontainers) are not the project's. Offline, it needs two fixes at start-up:

1. numpy installed (it refuses to start without it);
2. DuckDB's spatial extension present locally: DuckDB would download it from
   extensions.duckdb.org, which is unreachable here. PyPI's duckdb-extension-spatial ships it;
   it is copied to HOME/.duckdb/extensions/<duckdb version>/<platform>/, with HOME a directory
   of the virtualenv (the emulator is started with that HOME, see tests/tools/emulator.py), so
   nothing outside the repository is touched. DuckDB is pinned to the extension's version
   (bqemulator 1.4.0 would otherwise take duckdb 2.x).

Usage: python3 scripts/setup_bqemulator.py   (run by `make test`, and by the tests if needed)
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bq"
HOME = VENV / "home"
PINS = (
    "bqemulator==1.4.0",
    "duckdb==1.5.5",
    "duckdb-extension-spatial==1.5.5",
    "numpy==2.4.6",
)
STAMP = VENV / ("installed-" + "-".join(p.replace("==", "_") for p in PINS))
PYTHON = VENV / "bin" / "python"
UV = ROOT / ".venv" / "bin" / "uv"


def _run(*command: str | Path) -> str:
    return subprocess.run(
        [str(c) for c in command], check=True, capture_output=True, text=True
    ).stdout.strip()


def install() -> None:
    """Install once: concurrent callers (the workers of ``pytest -n``) wait for the first."""
    if STAMP.exists():
        return
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / "bq.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not STAMP.exists():
            _install()


def _install() -> None:
    if UV.exists():  # the project's installer (make puts it in .venv): seconds, not minutes
        if not PYTHON.exists():
            _run(UV, "venv", "--quiet", "--python", sys.executable, VENV)
        _run(UV, "pip", "install", "--quiet", "--python", PYTHON, *PINS)
    else:
        if not PYTHON.exists():
            _run(sys.executable, "-m", "venv", VENV)
        _run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PINS)
    probe = (
        "import duckdb, duckdb_extension_spatial, pathlib; "
        "print(duckdb.__version__); "
        "print(duckdb.execute('PRAGMA platform').fetchone()[0]); "
        "print(pathlib.Path(duckdb_extension_spatial.__file__).parent)"
    )
    version, platform, package = _run(PYTHON, "-c", probe).splitlines()
    found = sorted(Path(package).glob(f"extensions/v{version}/spatial.duckdb_extension"))
    if not found:
        raise SystemExit(f"duckdb-extension-spatial has no extension for DuckDB v{version}")
    target = HOME / ".duckdb" / "extensions" / f"v{version}" / platform
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(found[0], target / found[0].name)
    for old in VENV.glob("installed-*"):
        old.unlink()
    STAMP.touch()


if __name__ == "__main__":
    try:
        install()
    except subprocess.CalledProcessError as exc:
        sys.stderr.write(f"{exc.cmd} failed:\n{exc.stdout}\n{exc.stderr}\n")
        raise SystemExit(1) from None
    print(f"bqemulator ready in {VENV.relative_to(ROOT)}")
