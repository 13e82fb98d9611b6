"""A request that finds the database gone gets 503 + Retry-After, not a 500 with a stack trace.

The exceptions are built as Django raises them: a driver error wrapped in Django's own class,
with the driver's error as ``__cause__``. What counts as "unavailable" is narrow on purpose:
a missing table or a syntax error is a bug and must stay a 500.
"""

from __future__ import annotations

import sqlite3
from unittest import mock

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.test import Client

from slotwise.core.middleware import RETRY_AFTER_SECONDS, database_unavailable


def _wrapped(django_error: type[Exception], driver_error: BaseException) -> Exception:
    """A Django database error caused by ``driver_error``, as Django's wrapper raises it."""
    try:
        try:
            raise driver_error
        except type(driver_error) as exc:
            raise django_error(*exc.args) from exc
    except django_error as wrapped:
        return wrapped


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        # PostgreSQL refused or dropped the connection (no SQLSTATE at all).
        (_wrapped(OperationalError, psycopg.OperationalError("connection refused")), True),
        # Restart or shutdown: 57P01 admin_shutdown, 57P03 cannot_connect_now.
        (_wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating")), True),
        (_wrapped(OperationalError, psycopg.errors.CannotConnectNow("starting up")), True),
        # 53300 too_many_connections.
        (_wrapped(OperationalError, psycopg.errors.TooManyConnections("too many")), True),
        # The connection object was already closed under the request.
        (_wrapped(InterfaceError, psycopg.InterfaceError("connection already closed")), True),
        # SQLite: locked longer than the busy timeout, or the file is unreadable.
        (_wrapped(OperationalError, sqlite3.OperationalError("database is locked")), True),
        (
            _wrapped(OperationalError, sqlite3.OperationalError("unable to open database file")),
            True,
        ),
        # Bugs stay bugs.
        (_wrapped(OperationalError, sqlite3.OperationalError("no such table: x")), False),
        (_wrapped(OperationalError, psycopg.errors.QueryCanceled("timeout")), False),
        (_wrapped(ProgrammingError, psycopg.errors.UndefinedTable("no table")), False),
        (ValueError("not a database error"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_which_errors_mean_the_database_is_unavailable(
    error: BaseException, unavailable: bool
) -> None:
    assert database_unavailable(error) is unavailable


def _database_down(*args: object, **kwargs: object) -> None:
    raise _wrapped(OperationalError, psycopg.OperationalError("connection refused"))


def test_api_gets_json_503_with_retry_after() -> None:
    with mock.patch("slotwise.bookings.selectors.public_page_get", _database_down):
        response = Client().get("/api/v1/public/acme/pages/book")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert "try again" in body["message"]
    assert body["details"] == {"retry_after": RETRY_AFTER_SECONDS}


def test_pages_get_a_plain_503_page() -> None:
    with mock.patch("slotwise.bookings.selectors.public_page_get", _database_down):
        response = Client().get("/book/acme/book/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "Temporarily unavailable" in text and "Traceback" not in text


def test_a_bug_is_still_a_500() -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise _wrapped(OperationalError, sqlite3.OperationalError("no such table: x"))

    client = Client(raise_request_exception=False)
    with mock.patch("slotwise.bookings.selectors.public_page_get", broken):
        response = client.get("/api/v1/public/acme/pages/book")
    assert response.status_code == 500
    assert "Retry-After" not in response
