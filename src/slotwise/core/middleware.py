"""Request middleware shared by every face of Slotwise (site, backoffice, API)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

log = logging.getLogger("slotwise.unavailable")
server_log = logging.getLogger("django.request")

#: Seconds a client is asked to wait: about as long as a database restart or failover takes.
RETRY_AFTER_SECONDS = 5

# PostgreSQL error classes that mean "the server cannot take this connection right now", as
# opposed to a mistake in a query: 08 connection exception, 53 insufficient resources (e.g.
# too many connections), 57P operator intervention (shutdown, restart, crash recovery).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P")
# SQLite's equivalents: the file is locked for longer than the busy timeout, or unreadable.
_UNAVAILABLE_SQLITE_MESSAGES = ("database is locked", "unable to open database file", "disk i/o")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached now, rather than that code is wrong.

    A broken or refused connection is worth a "try again shortly"; a missing table or bad SQL
    is a bug and must stay a 500 that someone looks at.
    """
    if isinstance(exc, InterfaceError):
        return True  # the connection was already closed under us
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        message = str(cause).lower()
        return any(text in message for text in _UNAVAILABLE_SQLITE_MESSAGES)
    sqlstate = getattr(cause, "sqlstate", None)
    # psycopg gives no SQLSTATE when the connection itself failed (refused, reset, closed).
    return sqlstate is None or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)


class DatabaseUnavailableMiddleware:
    """Answer 503 with ``Retry-After`` when the database is unreachable, instead of a 500.

    During a database restart or failover every request fails for a few seconds. Clients and
    load balancers treat 503 + Retry-After as "retry later", which is the truth; a 500 with a
    stack trace in the log looks like a bug and makes API clients give up. The API gets its
    usual error shape (``code: service_unavailable``), people get a short plain page. Nothing
    here touches the database, since it is the thing that is down. Django closes the broken
    connection at the end of the request and opens a fresh one for the next.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return api_server_error(request, exception)
        log.warning(
            "database unavailable: %s %s -> 503 (%s: %s)",
            request.method,
            request.path,
            type(exception).__name__,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "",
        )
        return unavailable_response(request)


#: Exceptions Django itself answers with a 4xx (not found, forbidden, bad request): left to it.
_CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


def api_server_error(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    """An unexpected error under /api/: logged as Django would, answered in the API's shape.

    API clients parse JSON; Django's own 500 page is HTML. Nothing of the error is shown.
    """
    if not request.path.startswith("/api/") or isinstance(exception, _CLIENT_ERRORS):
        return None
    server_log.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exception,
        extra={"status_code": 500, "request": request},
    )
    response = JsonResponse(
        {
            "code": "server_error",
            "message": _("Something went wrong on our side. Please try again later."),
            "details": {},
        },
        status=500,
    )
    response["Cache-Control"] = "no-store"
    return response


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 itself: JSON under /api/, a small self-contained page elsewhere."""
    message = _("Slotwise is briefly unavailable. Please try again in a few seconds.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "code": "service_unavailable",
                "message": message,
                "details": {"retry_after": RETRY_AFTER_SECONDS},
            },
            status=503,
        )
    else:
        title = escape(_("Temporarily unavailable"))
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>{escape(message)}</p></body></html>"
        )
        response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
