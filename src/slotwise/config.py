"""Configuration parsed from environment variables.

Kept separate from settings.py so the parsing rules are testable without loading Django.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(ValueError):
    """An environment variable holds a value Slotwise cannot use."""


def env_bool(value: str | None, *, default: bool) -> bool:
    """Read a yes/no variable; anything unexpected is an error rather than a silent default."""
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"expected a boolean (true/false), got {value!r}")


def database_from_url(url: str, *, base_dir: Path) -> dict[str, Any]:
    """Turn ``DATABASE_URL`` into a Django ``DATABASES['default']`` entry.

    ``sqlite:///relative/path.sqlite3`` (relative to ``base_dir``), ``sqlite:////abs/path``, and
    ``postgres://user:password@host:port/name`` (also ``postgresql://``) are understood.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw = unquote(parts.path)
        # sqlite:///var/x.sqlite3 -> path "/var/x.sqlite3" is relative; sqlite:////abs -> "//abs".
        path = Path(raw[1:]) if raw.startswith("/") else Path(raw)
        if not path.is_absolute():
            path = base_dir / path
        return sqlite_database(path)
    if scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError("DATABASE_URL for PostgreSQL needs a database name")
        # JIT compilation costs more than it saves on short OLTP queries (it was most of the
        # worker's claim query on a big outbox), so it is off unless the URL asks for it.
        options: dict[str, str] = {"options": "-c jit=off"}
        options.update({k: v[-1] for k, v in parse_qs(parts.query).items()})
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            "TEST": {"NAME": f"test_{name}"},
        }
    raise ConfigError(f"unsupported DATABASE_URL scheme {scheme!r} (use sqlite or postgres)")


def sqlite_database(path: Path) -> dict[str, Any]:
    """SQLite tuned for a web server plus a worker: WAL, and write locks taken at BEGIN.

    IMMEDIATE transactions serialize writers, which is what makes check-then-insert race-free
    on SQLite; the generous timeout lets a writer wait its turn instead of failing.
    """
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # A file (not the in-memory default) so that threads and processes in tests see the
        # same database with the same locking as production.
        "TEST": {"NAME": str(path.with_name("test_" + path.name))},
    }


def email_from_url(url: str) -> dict[str, Any]:
    """Turn ``EMAIL_URL`` into Django email settings.

    ``console:`` (default), ``locmem:``, ``smtp://user:pass@host:port`` (``?tls=1`` for
    STARTTLS) and ``smtps://…`` (implicit TLS) are understood.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme in {"smtp", "smtps"}:
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "127.0.0.1",
            "EMAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_USE_TLS": env_bool(query.get("tls"), default=False),
            "EMAIL_TIMEOUT": 20,
        }
    raise ConfigError(f"unsupported EMAIL_URL scheme {scheme!r} (use console, smtp or smtps)")


def secret_key(value: str | None, *, var_dir: Path) -> str:
    """Use ``SECRET_KEY`` when set; otherwise keep a generated key in ``var/`` across runs."""
    if value:
        return value
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def rate_from_env(value: str | None, *, default: tuple[int, int]) -> tuple[int, int] | None:
    """Read a rate limit ``COUNT/SECONDS`` (``120/60``: 120 per minute); ``off`` turns it off.

    Returns ``(count, seconds)``, or None when the limit is off.
    """
    if value is None or value.strip() == "":
        return default
    text = value.strip().lower()
    if text in {"off", "none", "0"}:
        return None
    count, slash, seconds = text.partition("/")
    try:
        parsed = (int(count), int(seconds)) if slash else (0, 0)
    except ValueError:
        parsed = (0, 0)
    if parsed[0] < 1 or parsed[1] < 1:
        raise ConfigError(f"expected a rate like 120/60 (count per seconds) or off, got {value!r}")
    return parsed


def json_object_from_env(name: str, value: str | None) -> dict[str, Any]:
    """Read a JSON object (a storage's options); empty means ``{}``."""
    if value is None or value.strip() == "":
        return {}
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise ConfigError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise ConfigError(f'{name} must be a JSON object such as {{"bucket_name": "x"}}')
    return parsed
