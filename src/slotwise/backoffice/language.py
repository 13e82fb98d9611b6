"""The backoffice speaks the language the staff member chose (else their browser's)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from slotwise.core import i18n
from slotwise.core.services import user_language


class StaffLanguageMiddleware:
    """On backoffice pages, activate the signed-in user's own language when they set one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/backoffice/"):
            chosen = i18n.language_tag(user_language(getattr(request, "user", None)))
            if chosen is not None:
                translation.activate(i18n.to_django(chosen))
                request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
        return self.get_response(request)
