"""Install the headless browser the report test uses: Chromium and its WebDriver from the
Debian packages (``chromium``, ``chromium-driver``). Idempotent: does nothing when both are on
PATH. Fails loudly (exit 1, one line saying why) when they are absent and cannot be installed
(not root, no apt-get, or apt-get failing); it never downloads a browser build of its own.

Usage: python3 scripts/setup_chromium.py   (run by `make test`, and by the test if needed)
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile

PACKAGES = ("chromium", "chromium-driver")


def found() -> tuple[str, str] | None:
    """(browser, driver) paths when both are installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def install() -> tuple[str, str]:
    """Install once: concurrent callers (the workers of ``pytest -n``) wait for the first."""
    paths = found()
    if paths:
        return paths
    with open(os.path.join(tempfile.gettempdir(), "ai-impact-setup-chromium.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return found() or _install()


def _install() -> tuple[str, str]:
    if shutil.which("apt-get") is None:
        sys.exit(
            "setup_chromium: chromium is not installed and apt-get is missing: install "
            "Chromium and chromedriver with your package manager"
        )
    if os.geteuid() != 0:
        sys.exit(
            "setup_chromium: chromium is not installed; run as root, or: "
            "sudo apt-get install -y " + " ".join(PACKAGES)
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", *PACKAGES]):
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            sys.exit(f"setup_chromium: {' '.join(command)} failed: {tail[0]}")
    paths = found()
    if not paths:
        sys.exit(
            "setup_chromium: apt-get installed "
            + " ".join(PACKAGES)
            + " but chromium or chromedriver is still not on PATH"
        )
    return paths


if __name__ == "__main__":
    browser, driver = install()
    print(f"chromium: {browser}, chromedriver: {driver}")
