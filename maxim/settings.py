"""Explicit settings, read from the environment once by the entry points and passed down.

Nothing here runs at import time: `Settings.from_env()` is called by the CLI and `create_app`
takes the result, so tests build as many differently configured apps as they like.
`SETTINGS` is the one table of environment variables; `--help`, the README and a test use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SETTINGS: tuple[tuple[str, str, str], ...] = (
    (
        "MAXIM_DATABASE_URL",
        "",
        "SQLAlchemy URL of the database (sqlite:///file or "
        "postgresql+psycopg://...). Default: a SQLite file maxim.db in the data directory.",
    ),
    (
        "MAXIM_DATA_DIR",
        "data",
        "Directory for the embedded SQLite database and generated scenarios.",
    ),
    ("MAXIM_HOST", "127.0.0.1", "Address `maxim serve` listens on."),
    ("MAXIM_PORT", "8000", "Port `maxim serve` listens on."),
    ("MAXIM_SECURE_COOKIES", "false", "Mark session cookies Secure (set true whenever Maxim is served over HTTPS)."),
    (
        "MAXIM_SIGNING_KEY",
        "",
        "The installation's private key that signs dissemination packages (Ed25519 PEM, created mode 0600 "
        "by `maxim init` or the first package). Default: package-signing.key in the data directory.",
    ),
    (
        "MAXIM_AUDIT_KEY_FILE",
        "",
        "The audit log's HMAC key, made by `maxim init`; its signed checkpoints go beside it (.anchors). "
        "Keep it out of database backups. Default: beside the SQLite file (maxim.audit-key), or "
        "audit.key in the data directory for PostgreSQL.",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = False
    signing_key_file: Path | None = None  # None: package-signing.key in data_dir
    audit_key_file: Path | None = None  # None: the default place (see `audit_key_path`)

    @property
    def signing_key(self) -> Path:
        """Where the package-signing private key lives: outside the database, beside the data."""
        return self.signing_key_file or self.data_dir / "package-signing.key"

    def audit_key_path(self) -> Path | None:
        """Where the audit key is: the setting, else beside the SQLite file or in the data directory."""
        from maxim.store.audit_anchor import default_key_file

        return self.audit_key_file or default_key_file(self.database_url, self.data_dir)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = {name: default for name, default, _ in SETTINGS}
        data_dir = Path(env.get("MAXIM_DATA_DIR") or defaults["MAXIM_DATA_DIR"])
        url = env.get("MAXIM_DATABASE_URL") or f"sqlite:///{data_dir / 'maxim.db'}"
        port_text = env.get("MAXIM_PORT") or defaults["MAXIM_PORT"]
        try:
            port = int(port_text)
        except ValueError as exc:
            raise ValueError(f"MAXIM_PORT must be a port number, got {port_text!r}") from exc
        return cls(
            database_url=url,
            data_dir=data_dir,
            host=env.get("MAXIM_HOST") or defaults["MAXIM_HOST"],
            port=port,
            secure_cookies=(env.get("MAXIM_SECURE_COOKIES") or "false").lower() in ("1", "true", "yes"),
            signing_key_file=Path(env["MAXIM_SIGNING_KEY"]) if env.get("MAXIM_SIGNING_KEY") else None,
            audit_key_file=Path(env["MAXIM_AUDIT_KEY_FILE"]) if env.get("MAXIM_AUDIT_KEY_FILE") else None,
        )
