"""Configuration from environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from slotwise.config import (
    ConfigError,
    database_from_url,
    email_from_url,
    env_bool,
    json_object_from_env,
    secret_key,
)


def test_sqlite_default_is_relative_to_the_project(tmp_path):
    db = database_from_url("sqlite:///var/slotwise.sqlite3", base_dir=tmp_path)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "var/slotwise.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_sqlite_absolute_path(tmp_path):
    db = database_from_url(f"sqlite:///{tmp_path}/x.db", base_dir=Path("/elsewhere"))
    assert db["NAME"] == f"{tmp_path}/x.db"


def test_postgres_url():
    db = database_from_url(
        "postgres://app:s%40cret@db.internal:6543/slotwise?sslmode=require", base_dir=Path()
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "slotwise",
        "app",
        "s@cret",
        "db.internal",
        "6543",
    )
    assert db["OPTIONS"] == {"options": "-c jit=off", "sslmode": "require"}


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "nonsense"])
def test_bad_database_urls_are_errors(url):
    with pytest.raises(ConfigError):
        database_from_url(url, base_dir=Path())


def test_email_urls():
    assert email_from_url("console:")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    smtp = email_from_url("smtp://user:pw@127.0.0.1:2525?tls=1")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_HOST_USER"]) == (
        "127.0.0.1",
        2525,
        "user",
    )
    assert smtp["EMAIL_USE_TLS"] is True and smtp["EMAIL_USE_SSL"] is False
    assert email_from_url("smtps://mail.example.com")["EMAIL_PORT"] == 465
    with pytest.raises(ConfigError):
        email_from_url("carrier-pigeon://coop")


def test_env_bool():
    assert env_bool("yes", default=False) is True
    assert env_bool(None, default=True) is True
    assert env_bool("0", default=True) is False
    with pytest.raises(ConfigError):
        env_bool("maybe", default=False)


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = secret_key(None, var_dir=tmp_path)
    assert len(first) >= 50
    assert secret_key(None, var_dir=tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert secret_key("explicit", var_dir=tmp_path) == "explicit"


def test_postgres_url_may_set_its_own_server_options():
    db = database_from_url(
        "postgres://db.internal/slotwise?options=-c%20jit%3Don%20-c%20work_mem%3D64MB",
        base_dir=Path(),
    )
    assert db["OPTIONS"] == {"options": "-c jit=on -c work_mem=64MB"}


def test_rate_limits_are_count_per_seconds_or_off():
    from slotwise.config import rate_from_env

    assert rate_from_env(None, default=(120, 60)) == (120, 60)
    assert rate_from_env("", default=(120, 60)) == (120, 60)
    assert rate_from_env(" 10/600 ", default=(1, 1)) == (10, 600)
    assert rate_from_env("off", default=(1, 1)) is None
    assert rate_from_env("OFF", default=(1, 1)) is None
    for bad in ("10", "ten/60", "10/0", "-1/60", "10/60/2", "/60"):
        with pytest.raises(ConfigError):
            rate_from_env(bad, default=(1, 1))


def test_media_options_are_a_json_object() -> None:
    assert json_object_from_env("X", None) == {} and json_object_from_env("X", " ") == {}
    assert json_object_from_env("X", '{"bucket_name": "b"}') == {"bucket_name": "b"}
    with pytest.raises(ConfigError, match="X is not valid JSON"):
        json_object_from_env("X", "{bucket")
    with pytest.raises(ConfigError, match="must be a JSON object"):
        json_object_from_env("X", '["b"]')
