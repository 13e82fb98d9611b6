"""Talking to calendar servers: CalDAV discovery and sync, ICS download. Network only here.

Every request goes through ``calendars.http.guarded_session`` (the outbound-address rules and
one time budget). Errors come out as ``Unreachable`` with a message that names the server's
own reason ("401 Unauthorized", "connection refused"), safe to show to staff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import caldav
import requests
from caldav.lib import error as caldav_error
from django.utils.translation import gettext as _

from slotwise.calendars.http import guarded_session
from slotwise.core import outbound

#: Calendar objects asked for in one calendar-multiget REPORT.
MULTIGET_BATCH = 200
#: Largest ICS file read (a published calendar of many years is a few MB).
ICS_MAX_BYTES = 20 * 1024 * 1024


class Unreachable(Exception):
    """The calendar could not be reached or read; ``str()`` says why, for staff."""


@dataclass(frozen=True)
class FoundCalendar:
    url: str
    name: str


@dataclass
class Fetched:
    """What one read of a calendar brought.

    ``full``: ``objects`` is the whole calendar (replace everything); otherwise only what
    changed since ``sync_token``, with ``deleted`` hrefs. ``not_modified``: nothing changed.
    """

    full: bool
    objects: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    sync_token: str = ""
    not_modified: bool = False
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class Credentials:
    url: str
    username: str
    password: str


def _reason(exc: BaseException) -> str:
    if isinstance(exc, outbound.UnsafeURL):
        return str(exc.message if hasattr(exc, "message") else exc)
    if isinstance(exc, outbound.OutboundError):
        return str(exc)
    if isinstance(exc, caldav_error.AuthorizationError):
        reason = getattr(exc, "reason", "") or ""
        if "unauthorized" in str(reason).lower() or "401" in str(reason):
            return _("The server refused the user name or password (401 Unauthorized).")
        return _("The server refused access to this address (%(reason)s).") % {
            "reason": reason or "403 Forbidden"
        }
    if isinstance(exc, caldav_error.NotFoundError):
        return _("There is no calendar service at this address (404 Not Found).")
    if isinstance(exc, caldav_error.DAVError):
        reason = getattr(exc, "reason", "") or type(exc).__name__
        return _("The server answered with an error (%(reason)s).") % {"reason": reason}
    if isinstance(exc, requests.exceptions.Timeout):
        return _("The server did not answer in time.")
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "refused" in text.lower():
            return _("The server refused the connection.")
        if "resolution" in text.lower() or "resolve" in text.lower():
            return _("The server's name could not be found.")
        return _("The server could not be reached.")
    if isinstance(exc, requests.exceptions.RequestException):
        return _("The request to the server failed (%(reason)s).") % {"reason": type(exc).__name__}
    return _("The calendar could not be read (%(reason)s).") % {"reason": type(exc).__name__}


#: What a talk with a server may raise; everything else is a bug and propagates.
_EXPECTED: tuple[type[BaseException], ...] = (
    outbound.UnsafeURL,
    outbound.OutboundError,
    caldav_error.DAVError,
    requests.exceptions.RequestException,
    ValueError,
    AttributeError,
    KeyError,
)


@contextmanager
def _talking() -> Iterator[None]:
    try:
        yield
    except _EXPECTED as exc:
        raise Unreachable(_reason(exc)) from exc


def _client(creds: Credentials, *, budget_seconds: float) -> caldav.DAVClient:
    client = caldav.DAVClient(
        creds.url, username=creds.username or None, password=creds.password or None
    )
    client.session.close()
    # One budget for the whole talk; a single slow answer (a large calendar's first
    # sync-collection report) may use all of it.
    client.session = guarded_session(budget_seconds=budget_seconds, per_request=budget_seconds)
    return client


def _with_client[T](
    creds: Credentials, budget_seconds: float, work: Callable[[caldav.DAVClient], T]
) -> T:
    client = _client(creds, budget_seconds=budget_seconds)
    try:
        with _talking():
            return work(client)
    finally:
        client.close()


def discover(creds: Credentials, *, budget_seconds: float = 30.0) -> list[FoundCalendar]:
    """The calendars of the account at ``creds.url`` (raises Unreachable, with the reason).

    The address may be the server (RFC 6764: ``/.well-known/caldav`` is tried when the
    address itself does not answer as CalDAV), the principal, or the calendar home.
    """
    parsed = urlsplit(creds.url)
    candidates = [creds.url]
    well_known = urljoin(f"{parsed.scheme}://{parsed.netloc}/", ".well-known/caldav")
    if well_known not in candidates:
        candidates.append(well_known)
    first_error: Unreachable | None = None
    for candidate in candidates:
        try:
            return _with_client(
                Credentials(candidate, creds.username, creds.password),
                budget_seconds,
                _list_calendars,
            )
        except Unreachable as exc:
            if not _worth_another_address(exc.__cause__):
                raise
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _worth_another_address(cause: BaseException | None) -> bool:
    """A wrong password, a refused address or a dead host is the same at the well-known URL."""
    if isinstance(cause, outbound.UnsafeURL | outbound.OutboundError):
        return False
    if isinstance(cause, requests.exceptions.RequestException):
        return False
    return not (
        isinstance(cause, caldav_error.AuthorizationError)
        and "unauthorized" in str(getattr(cause, "reason", "")).lower()
    )


def _list_calendars(client: caldav.DAVClient) -> list[FoundCalendar]:
    principal = client.principal()
    found = []
    for calendar in principal.calendars():
        name = ""
        try:
            name = calendar.get_display_name() or ""
        except caldav_error.DAVError:
            name = ""
        url = str(calendar.url)
        found.append(FoundCalendar(url=url, name=name or url.rstrip("/").rsplit("/", 1)[-1]))
    if not found:
        raise caldav_error.NotFoundError(reason=_("The account has no calendars."))
    return found


def fetch_caldav(
    creds: Credentials,
    calendar_url: str,
    *,
    sync_token: str = "",
    budget_seconds: float = 60.0,
) -> Fetched:
    """Read one calendar: changes since ``sync_token`` (RFC 6578), or all of it.

    An unknown or expired token (the server answers 403/409) falls back to a full read; a
    server without sync-collection is read whole with a calendar-query.
    """

    def work(client: caldav.DAVClient) -> Fetched:
        calendar = caldav.Calendar(client=client, url=calendar_url)
        if sync_token:
            try:
                return _changes(calendar, sync_token)
            except (caldav_error.AuthorizationError, caldav_error.ReportError):
                pass  # the token is no longer valid: read everything
        try:
            listing = calendar.objects_by_sync_token(None, load_objects=False)
        except caldav_error.ReportError:
            found: list[Any] = calendar.search(event=True)
            objects = {str(o.url): o.data for o in found if o.data}
            return Fetched(full=True, objects=objects)
        hrefs = [str(o.url) for o in listing]
        return Fetched(
            full=True, objects=_load(calendar, hrefs), sync_token=str(listing.sync_token or "")
        )

    return _with_client(
        Credentials(calendar_url, creds.username, creds.password), budget_seconds, work
    )


def _changes(calendar: caldav.Calendar, token: str) -> Fetched:
    listing = calendar.objects_by_sync_token(token, load_objects=False)
    changed, deleted = [], set()
    for obj in listing:
        href = str(obj.url)
        # A removed resource comes back with a 404 status and no ETag.
        if (getattr(obj, "props", None) or {}).get("{DAV:}getetag"):
            changed.append(href)
        else:
            deleted.add(href)
    objects = _load(calendar, changed)
    deleted |= {href for href in changed if href not in objects}
    return Fetched(
        full=False, objects=objects, deleted=deleted, sync_token=str(listing.sync_token or "")
    )


def _load(calendar: caldav.Calendar, hrefs: list[str]) -> dict[str, str]:
    loaded: dict[str, str] = {}
    for i in range(0, len(hrefs), MULTIGET_BATCH):
        batch = hrefs[i : i + MULTIGET_BATCH]
        got: list[Any] = list(calendar.multiget([caldav.lib.url.URL.objectify(h) for h in batch]))
        for obj in got:
            if obj.data:
                loaded[str(obj.url)] = obj.data
    return loaded


def fetch_ics(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    budget_seconds: float = 60.0,
) -> Fetched:
    """Download an ICS address (conditional GET when validators are given)."""
    session = guarded_session(budget_seconds=budget_seconds, per_request=budget_seconds)
    headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": "Slotwise calendar sync"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with _talking(), session.get(url, headers=headers, stream=True) as response:
            if response.status_code == 304:
                return Fetched(full=True, not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code >= 400:
                raise Unreachable(
                    _("The address answered %(status)s %(reason)s.")
                    % {"status": response.status_code, "reason": response.reason or ""}
                )
            body = _read_limited(response)
            return Fetched(
                full=True,
                objects={url: body},
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    finally:
        session.close()


def _read_limited(response: Any) -> str:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > ICS_MAX_BYTES:
            raise Unreachable(_("The calendar file is larger than 20 MB."))
        chunks.append(chunk)
    # iCalendar is UTF-8 (RFC 5545); requests would guess Latin-1 for any text/* without charset.
    return b"".join(chunks).decode("utf-8", errors="replace")
