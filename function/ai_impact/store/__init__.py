"""Persistent state of the REST API: customers, tokens, BigQuery projects and custom catalog
entries, behind the :class:`~ai_impact.store.base.Store` interface.

The default implementation is embedded SQLite (:mod:`ai_impact.store.sqlite`); its file is
``$AI_IMPACT_DB`` (default ``~/.local/share/ai-impact/store.sqlite3``), created on first use and
migrated to the current schema version (:mod:`ai_impact.store.migrations`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ai_impact.store.base import Entry, NameTakenError, Store, Token
from ai_impact.store.sqlite import SQLiteStore

__all__ = ["Entry", "NameTakenError", "SQLiteStore", "Store", "Token", "default_path", "open_store"]

ENV_PATH = "AI_IMPACT_DB"
ENV_BIGQUERY_DATASET = "AI_IMPACT_BIGQUERY_DATASET"


def default_path() -> Path:
    """``$AI_IMPACT_DB``, else ``$XDG_DATA_HOME/ai-impact/store.sqlite3`` (~/.local/share)."""
    configured = os.environ.get(ENV_PATH)
    if configured:
        return Path(configured)
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "ai-impact" / "store.sqlite3"


def open_store(path: Path | None = None) -> Store:
    """The store at ``path`` (default :func:`default_path`), created and migrated if needed;
    without ``path``, the BigQuery store when ``$AI_IMPACT_BIGQUERY_DATASET`` is set."""
    if path is None and os.environ.get(ENV_BIGQUERY_DATASET):
        # Imported here: only deployments that use BigQuery load google-cloud-bigquery.
        from ai_impact.store.bigquery import BigQueryStore

        return BigQueryStore.from_env()
    return SQLiteStore(path or default_path())
