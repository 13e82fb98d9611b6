"""A provider's secret calendar feed (``/feeds/<token>.ics``), read by calendar apps.

Plain text answers, no pages: the readers are Google, Outlook and Apple, not people. An
unknown or revoked token is 404 and counts as a guessed link (429 after too many); a live
feed is limited per feed and client (``SLOTWISE_RATE_FEED``), and answers 304 to a
conditional read of the same content.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

from slotwise.calendars import feeds
from slotwise.core import ratelimit, web
from slotwise.site.views import common

TEXT_CALENDAR = "text/calendar; charset=utf-8"


def _plain(status: int, text: str, *, retry_after: int = 0) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    if retry_after:
        response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed's calendar, or 304 when the subscriber already has this content."""
    try:
        found = web.token_lookup(request, lambda: feeds.feed_for_token(token))
    except web.TooManyBadTokens as exc:
        return _plain(429, "Too many requests.\n", retry_after=exc.retry_after)
    if found is None:
        return _plain(404, "No such calendar feed.\n")
    decision = ratelimit.take("feed", f"{found.pk}:{ratelimit.client_key(request)}")
    if not decision.allowed:
        return _plain(429, "Too many requests.\n", retry_after=decision.retry_after)
    content = feeds.feed_body(found, now=common.now())
    if _not_modified(request, content):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content.body, content_type=TEXT_CALENDAR)
        response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["ETag"] = content.etag
    if content.last_modified is not None:
        response["Last-Modified"] = http_date(content.last_modified.timestamp())
    # Private: the address is the secret, no shared cache may keep the answer.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def _not_modified(request: HttpRequest, content: feeds.FeedBody) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return content.etag in tags or "*" in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    if since is None or content.last_modified is None:
        return False
    return int(content.last_modified.timestamp()) <= since
