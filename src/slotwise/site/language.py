"""Whose language a customer page speaks: chosen → the booking's → the browser's → the business's.

The switcher on every customer page is a set of links adding ``?lang=de``; the choice is
kept in a cookie for the next pages. ``ReaderLanguageMiddleware`` reads the choice and the
browser's ``Accept-Language``; a view that knows the business (and the booking) completes the
decision with ``use_language``. The language in force when a booking is made is stored on it
(and on a new customer), and every message about the booking is written in it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from slotwise.core import i18n

COOKIE = "slotwise_language"
PARAM = "lang"
#: Paths that are not customer pages: the backoffice and the API choose their own way.
_NOT_CUSTOMER = ("/backoffice/", "/api/", "/static/", "/healthz")


class ReaderLanguageMiddleware:
    """Activate the customer's chosen or browser language on customer pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_NOT_CUSTOMER):
            return self.get_response(request)
        accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        requested = i18n.language_tag(request.GET.get(PARAM))
        chosen = requested or i18n.language_tag(request.COOKIES.get(COOKIE))
        request.reader_language_chosen = (  # type: ignore[attr-defined]
            i18n.with_region_from(chosen, accept) if chosen else None
        )
        request.reader_language_browser = i18n.from_accept_language(accept)  # type: ignore[attr-defined]
        # Until a view knows the business: the choice, else the browser, else the site default.
        _activate(request, request.reader_language_chosen or request.reader_language_browser)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if requested:
            response.set_cookie(
                COOKIE,
                i18n.base_language(requested),
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
            )
        response.headers["Content-Language"] = i18n.active_tag()
        vary = response.headers.get("Vary", "")
        if "cookie" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Cookie" if vary else "Cookie"
        return response


def use_language(request: HttpRequest, *, known: str = "", default: str = "") -> str:
    """Decide the page's language now that the view knows more, and activate it.

    Order: the reader's choice (switcher), ``known`` (the booking's language), the browser's
    ``Accept-Language``, ``default`` (the business's default language).
    """
    tag = (
        getattr(request, "reader_language_chosen", None)
        or i18n.language_tag(known)
        or getattr(request, "reader_language_browser", None)
        or i18n.first_of(default)
    )
    _activate(request, tag)
    return tag


def _activate(request: HttpRequest, tag: str | None) -> None:
    tag = tag or settings.LANGUAGE_CODE
    translation.activate(i18n.to_django(tag))
    request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]


def switch_url(request: HttpRequest, code: str) -> str:
    """This page with ``?lang=<code>`` (other parameters kept), relative to the page itself.

    Relative, so the page never repeats its own path (a manage link's token) in its body.
    """
    params = [(k, v) for k, values in request.GET.lists() for v in values if k != PARAM]
    params.append((PARAM, code))
    return f"?{urlencode(params)}"
