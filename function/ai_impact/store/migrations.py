"""Versioned schema of the SQLite store: migration N brings the schema from version N-1 to N.

The version lives in ``PRAGMA user_version``; never edit a released migration, append one.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: customers, tokens, BigQuery projects, catalog entries and the names they hold.
    """
    CREATE TABLE customers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
        customer_id INTEGER NOT NULL REFERENCES customers (id),
        name TEXT NOT NULL,
        rate_per_minute INTEGER,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE projects (
        project TEXT PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers (id),
        created_at TEXT NOT NULL
    );
    CREATE TABLE entries (
        kind TEXT NOT NULL CHECK (kind IN ('model', 'node', 'gpu')),
        key TEXT NOT NULL,
        id TEXT NOT NULL,
        customer_id INTEGER NOT NULL,
        fields TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE TABLE names (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        entry_key TEXT NOT NULL,
        PRIMARY KEY (kind, key),
        FOREIGN KEY (kind, entry_key) REFERENCES entries (kind, key) ON DELETE CASCADE
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (key, value) VALUES ('generation', 0);
    """,
    # 2: datacenters are entries too (issue 17). SQLite cannot alter a CHECK: entries is rebuilt,
    # names (which refers to it) dropped first and restored, so no cascade deletes them.
    """
    CREATE TABLE names_kept AS SELECT kind, key, entry_key FROM names;
    CREATE TABLE entries_v2 (
        kind TEXT NOT NULL CHECK (kind IN ('model', 'node', 'gpu', 'datacenter')),
        key TEXT NOT NULL,
        id TEXT NOT NULL,
        customer_id INTEGER NOT NULL,
        fields TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    INSERT INTO entries_v2
        SELECT kind, key, id, customer_id, fields, deleted, created_at, updated_at, created_by
        FROM entries;
    DROP TABLE names;
    DROP TABLE entries;
    ALTER TABLE entries_v2 RENAME TO entries;
    CREATE TABLE names (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        entry_key TEXT NOT NULL,
        PRIMARY KEY (kind, key),
        FOREIGN KEY (kind, entry_key) REFERENCES entries (kind, key) ON DELETE CASCADE
    );
    INSERT INTO names SELECT kind, key, entry_key FROM names_kept;
    DROP TABLE names_kept;
    """,
)
