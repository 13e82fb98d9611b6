"""The JSON API, version 1 (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Endpoints hold no rules: they parse, call the booking actions, selectors and loaders, and turn
a DomainError into ``{"code", "message", "details"}`` with its HTTP status.
"""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from slotwise.api.auth import ApiKeyAuth
from slotwise.api.docs import OfflineSwagger
from slotwise.api.docs import router as docs_router
from slotwise.api.endpoints import (
    bookings,
    calendars,
    catalog,
    feeds,
    public,
    ratings,
    settings,
    waitlist,
    webhooks,
)
from slotwise.api.errors import error_response, install_error_handlers

api = NinjaAPI(
    title="Slotwise API",
    version="1",
    description=(
        "Appointment booking for service businesses. Authenticate with "
        "`Authorization: Bearer <key>` (create one with `manage.py create_api_key`). "
        "Times are ISO 8601 with an offset. Errors are `{code, message, details}`."
    ),
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    docs=OfflineSwagger(),
)
install_error_handlers(api)

api.add_router("", catalog.router)
api.add_router("", settings.router)
api.add_router("", bookings.router)
api.add_router("", webhooks.router)
api.add_router("", ratings.router)
api.add_router("", ratings.public_router, auth=None)
api.add_router("", feeds.router)
api.add_router("", calendars.router)
api.add_router("", public.router, auth=None)
api.add_router("", waitlist.staff)
api.add_router("", waitlist.public, auth=None)
api.add_router("", docs_router, auth=None)


@csrf_exempt  # API clients send no CSRF token: a POST must get this 404 too, not a 403 page
def unknown_address(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any address under ``/api/`` that is no operation: the API's JSON 404, not a page."""
    return error_response(
        api,
        request,
        status=404,
        code="not_found",
        message=_("There is no such address in the API. The operations are listed at %(docs)s.")
        % {"docs": "/api/v1/docs"},
    )
