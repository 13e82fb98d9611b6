"""Security middleware: refuse oversized bodies up front, keep link tokens out of Referer.

Both sit right after Django's SecurityMiddleware (see ``MIDDLEWARE`` in settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.html import escape
from django.utils.translation import gettext as _

Handler = Callable[[HttpRequest], HttpResponse]

#: URL parameters that carry a secret: a page whose URL has one must never be sent on as a
#: Referer (links on it, its images and scripts, a click to the business's website).
SECRET_URL_PARAMETERS = frozenset({"token"})

#: The largest body of a form that uploads images (two images of 2 MB each, and the fields).
UPLOAD_BODY_MAX = 5 * 1024 * 1024


def accepts_uploads[F: Callable[..., Any]](view: F) -> F:
    """Mark a view whose form uploads images: its bodies may reach ``UPLOAD_BODY_MAX``.

    Put it outermost (above the access decorators), where the URL resolver sees it. Only
    such views get the larger limit; every other URL keeps DATA_UPLOAD_MAX_MEMORY_SIZE.
    """
    view.accepts_uploads = True  # type: ignore[attr-defined]
    return view


def _body_limit(request: HttpRequest, default: int) -> int:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return default
    return UPLOAD_BODY_MAX if getattr(match.func, "accepts_uploads", False) else default


class BodySizeLimitMiddleware:
    """Answer 413 to a request whose declared body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    Django would refuse it too, but later and less clearly: a form post becomes a bare
    "Bad Request (400)" raised from inside the CSRF check, and the API would answer with an
    HTML page instead of its JSON error. Refusing before any view, session or database work
    runs also means such a request changes nothing. The API gets its usual error shape
    (``code: payload_too_large``); people get a short page that says what happened.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(declared)
        except ValueError:
            size = -1
        if size < 0:
            return _refuse(request, 400, "bad_request", _("The request's length is not valid."))
        if limit is not None and size > limit:
            # Resolved only for a large body: the common small request costs nothing more.
            limit = _body_limit(request, limit)
        if limit is not None and size > limit:
            message = _("The request is too large: at most %(kib)d KiB can be sent.") % {
                "kib": limit // 1024
            }
            return _refuse(request, 413, "payload_too_large", message, limit_bytes=limit)
        return self.get_response(request)


def _refuse(
    request: HttpRequest, status: int, code: str, message: str, **details: int
) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": code, "message": message, "details": details}, status=status
        )
    else:
        title = escape(_("Request too large") if status == 413 else _("Bad request"))
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>{escape(message)}</p></body></html>"
        )
        response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    return response


class SecretUrlReferrerPolicyMiddleware:
    """Responses of a URL that carries a token: ``same-origin`` referrers and no caching.

    A customer's manage or rating link is a password. ``Referrer-Policy: same-origin`` keeps
    it from ever being sent to another site (it is set here explicitly, whatever the
    site-wide policy becomes); within the site it reaches only our own logs, which redact it
    (core/logfilters.py). ``no-referrer`` would be stricter but breaks the pages' own forms:
    under it browsers send ``Origin: null`` with a POST, which CSRF protection must refuse.
    Such pages are not stored by shared caches either.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None and SECRET_URL_PARAMETERS & set(match.kwargs):
            response["Referrer-Policy"] = "same-origin"
            if "Cache-Control" not in response:
                response["Cache-Control"] = "private, no-store"
        return response
