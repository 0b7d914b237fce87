"""Structured log lines for Cloud Logging: one JSON object per line on stdout."""

from __future__ import annotations

import sys

import orjson


def log(severity: str, message: str, **fields: object) -> None:
    """One line; ``severity`` and ``message`` are Cloud Logging's special fields."""
    entry = {"severity": severity, "message": message, **fields}
    sys.stdout.write(orjson.dumps(entry, default=str).decode() + "\n")
    sys.stdout.flush()
