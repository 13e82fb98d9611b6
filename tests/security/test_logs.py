"""Link tokens and API keys never reach a log line, whatever the request and its outcome."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import get_resolver, reverse

from slotwise.core.logfilters import RedactingGunicornLogger, RedactSecrets, redact
from tests.security.conftest import Tenant
from tests.security.test_tenant_walk import walk

BAD_TOKEN = "ZmFrZS10b2tlbi10aGF0LWxvb2tzLXJlYWwtZW5vdWdoLXh4eA"
BAD_KEY = "sw_0badc0de_bm90LWEtcmVhbC1rZXktYnV0LWxvbmctZW5vdWdoLXh4eHh4eA"


@pytest.fixture
def everything(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every record of every logger at DEBUG, SQL statements included."""
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.server", "django.db.backends", "slotwise"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = False


def _drive(ours: Tenant) -> None:
    """Requests that log paths: good and bad links, refused methods, CSRF failures, keys."""
    site = Client()
    token = ours.manage_token
    assert site.get(f"/manage/{token}/").status_code == 200
    assert site.get(f"/manage/{token}/calendar.ics").status_code == 200
    assert site.get(f"/manage/{BAD_TOKEN}/").status_code == 404
    assert site.get(f"/manage/{BAD_TOKEN}/cancel/?token={BAD_TOKEN}").status_code == 404
    assert site.get(f"/rate/{BAD_TOKEN}/").status_code == 404
    assert site.put(f"/manage/{token}/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/manage/{token}/cancel/", {"version": 1}).status_code == 403
    assert (
        site.post(f"/manage/{token}/cancel/", "x" * (300 * 1024), "text/plain").status_code == 413
    )

    key = ours.api_key_raw
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/bookings").status_code == 200
    assert api.get("/api/v1/bookings/NOPE-123").status_code == 404
    assert api.get(f"/api/v1/bookings?key={key}").status_code == 200
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {BAD_KEY}").get("/api/v1/bookings")
    assert refused.status_code == 401
    anon = Client()
    assert anon.get(f"/api/v1/manage/{token}").status_code == 200
    assert anon.get(f"/api/v1/manage/{BAD_TOKEN}").status_code == 404
    created = anon.post(
        "/api/v1/public/acme/pages/book/bookings",
        {
            "service_id": ours.world.service.pk,
            "start": (ours.booking.start + timedelta(days=3)).isoformat(),
            "customer": {"name": "Robin", "email": "robin@example.test"},
        },
        "application/json",
    )
    assert created.status_code == 201, created.content
    new_token = created.json()["manage_url"].rstrip("/").rsplit("/", 1)[1]
    assert anon.get(f"/manage/{new_token}/").status_code == 200
    ours.extra_secrets = [new_token]  # type: ignore[attr-defined]


def test_no_token_or_key_in_any_log_record(
    everything: pytest.LogCaptureFixture, ours: Tenant
) -> None:
    _drive(ours)
    secrets = [
        ours.manage_token,
        ours.rate_token,
        ours.api_key_raw.split("_", 2)[2],
        BAD_TOKEN,
        BAD_KEY.split("_", 2)[2],
        *ours.extra_secrets,  # type: ignore[attr-defined]
    ]
    text = everything.text
    for record in everything.records:
        text += "\n" + record.getMessage() + repr(record.args) + (record.exc_text or "")
    for secret in secrets:
        assert secret not in text
    # The records that would have carried them were written, redacted.
    messages = [r.getMessage() for r in everything.records]
    assert "Not Found: /manage/[redacted]/" in messages
    assert "Not Found: /rate/[redacted]/" in messages
    assert "Not Found: /api/v1/manage/[redacted]" in messages
    assert "Method Not Allowed (PUT): /manage/[redacted]/" in messages
    assert any(m.startswith("Forbidden (CSRF") and "/manage/[redacted]/" in m for m in messages)
    assert "Unauthorized: /api/v1/bookings" in messages


def test_every_handler_in_the_settings_redacts() -> None:
    config = settings.LOGGING
    assert config["filters"]["redact"]["()"] == "slotwise.core.logfilters.RedactSecrets"
    for name, handler in config["handlers"].items():
        assert "redact" in handler.get("filters", []), name
    for name in ("django.request", "django.server", "django.security.csrf"):
        assert any(isinstance(f, RedactSecrets) for f in logging.getLogger(name).filters), name
        assert not logging.getLogger(name).handlers, name  # everything goes through root
    root = logging.getLogger()
    configured = [h for h in root.handlers if type(h) is logging.StreamHandler]
    assert configured and all(
        any(isinstance(f, RedactSecrets) for f in h.filters) for h in configured
    )


def test_every_url_that_carries_a_token_is_redacted() -> None:
    """A new URL with a token parameter is caught here if its path is not redacted."""
    routes = [r for r in walk(get_resolver().url_patterns) if "token" in r[3]]
    assert len(routes) >= 9
    for _route, namespace, name, params in routes:
        path = reverse(f"{namespace}:{name}", kwargs=dict.fromkeys(params, BAD_TOKEN))
        assert BAD_TOKEN not in redact(f"Not Found: {path}"), path
        assert BAD_TOKEN not in redact(f"https://bookings.example.com{path}?x=1"), path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /manage/abc-DEF_123/cancel/ 200", "GET /manage/[redacted]/cancel/ 200"),
        ("/rate/abc", "/rate/[redacted]"),
        ("GET /offers/abc-DEF_123/ 200", "GET /offers/[redacted]/ 200"),
        ("POST /api/v1/offers/abc/accept", "POST /api/v1/offers/[redacted]/accept"),
        ("GET /waitlist/abc/ 200", "GET /waitlist/[redacted]/ 200"),
        ("GET /feeds/abc-DEF_123.ics 200", "GET /feeds/[redacted] 200"),
        ("GET /backoffice/join/abc-DEF_123/ 200", "GET /backoffice/join/[redacted]/ 200"),
        ("/backoffice/new-password/c1-abc/MQ/ 302", "/backoffice/new-password/[redacted] 302"),
        (
            "/login/?next=%2Fbackoffice%2Fjoin%2Fabc%2F",
            "/login/?next=%2Fbackoffice%2Fjoin%2F[redacted]%2F",
        ),
        ("/api/v1/manage/abc?tz=UTC", "/api/v1/manage/[redacted]?tz=UTC"),
        ("%2Fmanage%2Fabc%2F", "%2Fmanage%2F[redacted]%2F"),
        ("Authorization: Bearer abc.def", "Authorization: Bearer [redacted]"),
        ("key sw_0123abcd_s3cr3t-_x used", "key sw_0123abcd_[redacted] used"),
        ("secret whsec_abc", "secret whsec_[redacted]"),
        ("/x?token=abc&y=1", "/x?token=[redacted]&y=1"),
        ("/backoffice/bookings/SW-AB12CD/", "/backoffice/bookings/SW-AB12CD/"),
        ("/book/acme/book/", "/book/acme/book/"),
        ("token=abc&tz=UTC", "token=[redacted]&tz=UTC"),
        ("in [{'token': 'abc', 'zone': 'UTC'}]", "in [{'token': '[redacted]', 'zone': 'UTC'}]"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_filter_redacts_arguments_and_tracebacks() -> None:
    try:
        raise ValueError(f"no booking for /manage/{BAD_TOKEN}/")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "Not Found: %s",
            (f"/manage/{BAD_TOKEN}/",),
            sys.exc_info(),
        )
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == "Not Found: /manage/[redacted]/"
    formatted = logging.Formatter().format(record)
    assert BAD_TOKEN not in formatted and "ValueError" in formatted


def test_gunicorn_access_log_fields_are_redacted() -> None:
    """``--logger-class slotwise.core.logfilters.RedactingGunicornLogger`` for gunicorn."""
    from gunicorn.config import Config

    logger = RedactingGunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/manage/{BAD_TOKEN}/?tz=UTC",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": f"/manage/{BAD_TOKEN}/",
        "QUERY_STRING": f"token={BAD_TOKEN}",
        "HTTP_REFERER": f"https://bookings.example.com/manage/{BAD_TOKEN}/",
        "REMOTE_ADDR": "203.0.113.1",
    }
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {BAD_KEY}")])
    response = SimpleNamespace(status="404 Not Found", sent=10, headers=[])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    line = logger.cfg.access_log_format % logger.atoms_wrapper_class(atoms)
    assert BAD_TOKEN not in repr(atoms) and BAD_KEY not in repr(atoms)
    assert "/manage/[redacted]/" in line and "203.0.113.1" in line
