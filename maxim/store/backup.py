"""Backup and restore: a consistent snapshot, and back again, audit chain included.

SQLite uses its online backup API, which copies a consistent snapshot while the app keeps
serving. PostgreSQL uses the server's own tools, `pg_dump --format=custom` and `pg_restore`
(the documented path; they must be on PATH and match the server's major version). A restore
replaces the target's contents; the audit chain is checked afterwards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url

from maxim.store.engine import Database


class BackupFailed(RuntimeError):
    """The backup or restore did not complete; the message says why and what to check."""


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore, and the schema named by a search_path option."""
    args = [
        "--host",
        url.host or "127.0.0.1",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "postgres",
        "--dbname",
        url.database or "postgres",
    ]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    options = unquote(str(url.query.get("options", "")))
    if "search_path=" in options:
        env["MAXIM_SCHEMA"] = options.split("search_path=", 1)[1].split()[0].split(",")[0]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupFailed(f"{command[0]} is not installed: install the PostgreSQL client tools")
    result = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, check=False)  # nosec B603
    if result.returncode != 0:
        raise BackupFailed(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def backup(db: Database, path: Path) -> Path:
    """Write a consistent snapshot of the database to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if db.is_sqlite:
        tmp = path.with_name(path.name + ".part")
        with db.reader.connect() as conn:
            source = conn.connection.driver_connection
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)  # type: ignore[union-attr]
            finally:
                target.close()
        tmp.replace(path)  # never leave a half-written backup under the real name
        return path
    args, env = _pg_args(make_url(db.url))
    schema = ["--schema", env["MAXIM_SCHEMA"]] if "MAXIM_SCHEMA" in env else []
    _run(["pg_dump", "--format=custom", "--file", str(path), *schema, *args], env)
    return path


def restore(db: Database, path: Path) -> None:
    """Replace the database's contents with the snapshot at `path`."""
    if not path.exists():
        raise BackupFailed(f"{path}: no such backup")
    if db.is_sqlite:
        try:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            source.execute("PRAGMA schema_version").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BackupFailed(f"{path} is not a SQLite backup: {exc}") from exc
        db.dispose()  # no pooled connection may hold the old file open
        with db.writer.connect() as conn:
            target = conn.connection.driver_connection
            try:
                source.backup(target)  # type: ignore[arg-type]
            finally:
                source.close()
        db.dispose()
        return
    args, env = _pg_args(make_url(db.url))
    db.dispose()
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(path)], env)
