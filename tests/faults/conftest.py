"""Fixtures for fault tests: databases of their own, set up and audited from subprocesses.

These tests run Slotwise as real processes (gunicorn, run_worker) and break things under
them, so they never use pytest-django's test database: each test gets a database it owns
and removes afterwards. ``app_database`` follows the configured database kind (an SQLite
file, or a uniquely named database on the configured PostgreSQL server), so the SQLite and
PostgreSQL CI runs each exercise their own engine; ``private_pg`` is a PostgreSQL cluster of
the test's own that it may restart and crash.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bench.servers import ROOT, production_env
from tests.support.pgcluster import PgCluster, private_cluster


@dataclass(frozen=True)
class AppDatabase:
    """A migrated database for one test: ``url`` is what the processes get as DATABASE_URL."""

    vendor: str  # "sqlite" or "postgresql"
    url: str


def run_manage(database_url: str, *args: str, timeout: float = 180) -> str:
    """``manage.py *args`` with production settings on ``database_url``; its stdout."""
    return _run([sys.executable, "manage.py", *args], database_url, timeout)


def run_appdata(database_url: str, *args: str, timeout: float = 120) -> dict[str, Any]:
    """``python -m tests.faults.appdata *args`` on ``database_url``; its JSON answer."""
    out = _run([sys.executable, "-m", "tests.faults.appdata", *args], database_url, timeout)
    return json.loads(out)


def _run(command: list[str], database_url: str, timeout: float) -> str:
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=production_env(database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command[1:4])} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def prepare(
    database_url: str, *, slug: str, providers: int, migrate: bool = True
) -> dict[str, Any]:
    """Migrate ``database_url`` (unless it is a migrated copy) and seed one business."""
    if migrate:
        run_manage(database_url, "migrate", "--noinput", "-v", "0")
    return run_appdata(database_url, "seed", "--slug", slug, "--providers", str(providers))


def _configured_database() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.DATABASES["default"])


def _pg_server_url(db: dict[str, Any], name: str, **query: str) -> str:
    user = quote(db.get("USER") or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    suffix = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return f"postgres://{user}{password}@{host}{port}/{name}" + (f"?{suffix}" if suffix else "")


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppDatabase]:
    """A migrated, empty database of the configured kind, made once per run and cloned.

    Migrating takes seconds; copying a migrated database takes a fraction of one. PostgreSQL:
    ``slotwise_faults_<pid>_<random>_tpl`` on the configured server, dropped at the end of
    the run. SQLite: a file in the run's temporary directory.
    """
    db = _configured_database()
    if not db["ENGINE"].endswith("postgresql"):
        path = tmp_path_factory.mktemp("faults-template") / "template.sqlite3"
        url = f"sqlite:///{path}"
        run_manage(url, "migrate", "--noinput", "-v", "0")
        yield AppDatabase("sqlite", url)
        return
    import psycopg

    name = f"slotwise_faults_{os.getpid()}_{secrets.token_hex(4)}_tpl"
    admin_url = _pg_server_url(db, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = _pg_server_url(db, name, options="-c synchronous_commit=off")
        run_manage(url, "migrate", "--noinput", "-v", "0")
        yield AppDatabase("postgresql", url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app_database(_migrated_template: AppDatabase, tmp_path: Path) -> Iterator[AppDatabase]:
    """A fresh migrated database of the configured kind, owned by one test and removed after.

    PostgreSQL: ``slotwise_faults_<pid>_<random>`` on the configured server, a copy of the
    run's template, dropped here (with FORCE, in case a killed process left a connection
    behind). Commits do not wait for the WAL flush on the shared server: the server is not
    crashed in these tests, so durability is not what they check, and an fsync per request
    would only slow the shared machine down for everyone. SQLite: a copy of the template file
    in the test's temporary directory.
    """
    template = _migrated_template
    if template.vendor == "sqlite":
        path = tmp_path / "faults.sqlite3"
        # The backup API copies a consistent database whatever state its WAL file is in.
        source_path = template.url.removeprefix("sqlite:///")
        with (
            closing(sqlite3.connect(source_path)) as source,
            closing(sqlite3.connect(path)) as target,
        ):
            source.backup(target)
        yield AppDatabase("sqlite", f"sqlite:///{path}")
        return
    import psycopg

    db = _configured_database()
    name = f"slotwise_faults_{os.getpid()}_{secrets.token_hex(4)}"
    template_name = template.url.rsplit("/", 1)[-1].split("?", 1)[0]
    admin_url = _pg_server_url(db, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield AppDatabase(
            "postgresql", _pg_server_url(db, name, options="-c synchronous_commit=off")
        )
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def private_pg() -> Iterator[PgCluster]:
    """A started PostgreSQL cluster owned by this test; stopped and deleted afterwards."""
    with private_cluster() as cluster:
        yield cluster
