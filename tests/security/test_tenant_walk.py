"""Every backoffice URL and every API operation, pointed at another business's objects, is a 404.

The walk is driven by the URL configuration itself (``get_resolver``, recursively) and by the
API's OpenAPI description, so a new URL is walked the day it is added. A URL whose parameters
this file does not know how to fill with the other business's values fails the walk: nobody
can add a URL that takes an object id without saying here which object it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from slotwise.api.api import api
from tests.security.conftest import Tenant, assert_unchanged, snapshot

API_PREFIX = "/api/v1"
API_METHODS = ("get", "post", "put", "patch", "delete")

Filler = Callable[[Tenant, Tenant], list[dict[str, Any]]]


def _one(**values: Callable[[Tenant], Any]) -> Filler:
    """One request per URL, every parameter taken from business B."""
    return lambda ours, theirs: [{k: f(theirs) for k, f in values.items()}]


_reference = _one(reference=lambda t: t.booking.reference)

#: Backoffice URL name → how to fill its parameters with business B's objects. Nested ids are
#: also tried half-and-half (A's provider with B's time off), which a lookup by the inner id
#: alone would let through.
BACKOFFICE: dict[str, Filler] = {
    "booking_detail": _reference,
    "booking_reschedule": _reference,
    "booking_cancel": _reference,
    "booking_complete": _reference,
    "booking_no_show": _reference,
    "booking_close_undo": _reference,
    "payment_add": _reference,
    "booking_clone": _reference,
    "booking_language": _reference,
    "booking_notes": _reference,
    "calendar_move": _reference,
    "notification_resend": _one(pk=lambda t: t.booking.messages.order_by("pk").first().pk),
    "settings_page_edit": _one(pk=lambda t: t.world.page.pk),
    "settings_service_edit": _one(pk=lambda t: t.world.service.pk),
    "settings_provider_edit": _one(pk=lambda t: t.world.alex.pk),
    "settings_provider_feed": _one(pk=lambda t: t.world.alex.pk),
    "settings_service_photo": _one(pk=lambda t: t.world.service.pk),
    "settings_provider_photo": _one(pk=lambda t: t.world.alex.pk),
    "calendar_conflict_write_back": _one(pk=lambda t: t.calendar_conflict.pk),
    "calendar_conflict_dismiss": _one(pk=lambda t: t.calendar_conflict.pk),
    "settings_provider_hours": _one(pk=lambda t: t.world.alex.pk),
    "settings_provider_time_off": _one(pk=lambda t: t.world.alex.pk),
    "settings_time_off_delete": lambda ours, theirs: [
        {"pk": theirs.world.alex.pk, "time_off_id": theirs.time_off.pk},
        {"pk": ours.world.alex.pk, "time_off_id": theirs.time_off.pk},
    ],
    "settings_provider_calendars": _one(pk=lambda t: t.world.alex.pk),
    "settings_calendar_connect": _one(pk=lambda t: t.world.alex.pk),
    **{
        name: lambda ours, theirs: [
            {"pk": theirs.world.alex.pk, "connection_id": theirs.calendar_connection.pk},
            {"pk": ours.world.alex.pk, "connection_id": theirs.calendar_connection.pk},
        ]
        for name in (
            "settings_calendar_choose",
            "settings_calendar_sync",
            "settings_calendar_delete",
        )
    },
    "settings_reminder_delete": _one(pk=lambda t: t.reminder_rule.pk),
    "settings_api_key_revoke": _one(pk=lambda t: t.api_key.pk),
    "settings_member_role": _one(pk=lambda t: t.membership.pk),
    "settings_member_remove": _one(pk=lambda t: t.membership.pk),
    "settings_invitation_resend": _one(pk=lambda t: t.invitation.pk),
    "settings_invitation_revoke": _one(pk=lambda t: t.invitation.pk),
    "waitlist_offer": _one(reference=lambda t: t.waitlist_entry.reference),
    "rating_reply": _one(pk=lambda t: t.rating.pk),
    "rating_reply_edit": _one(pk=lambda t: t.rating.pk),
    "rating_hide": _one(pk=lambda t: t.rating.pk),
    "rating_unhide": _one(pk=lambda t: t.rating.pk),
}

#: Backoffice URLs whose parameters name no object of a business.
BACKOFFICE_NOT_TENANT = {
    "wizard_step": "the wizard's step name, kept in A's own session",
    "invitation": "an invitation link's secret: its holder's own proof (test_team_invitations.py)",
    "password_reset_confirm": "a password link's secret, Django's reset token (test_passwords.py)",
}

#: Form data posted to each backoffice URL: valid enough that a view which looked the object
#: up too late would reach its form and answer 200 or 302 instead of 404.
BACKOFFICE_DATA: dict[str, dict[str, Any]] = {
    "booking_cancel": {"version": 1, "reason": "x", "notify_customer": "on"},
    "booking_language": {"language": "de"},
    "booking_reschedule": {"version": 1, "slot": "2031-01-06T10:00:00+00:00"},
    "payment_add": {"amount": "10", "method": "cash", "status": "paid"},
    "settings_page_edit": {"title": "Taken", "slug": "taken", "max_days_ahead": 30},
    "settings_service_edit": {"name": "Taken", "duration_minutes": 30, "price": "1"},
    "settings_provider_edit": {"name": "Taken", "email": "x@example.test"},
    "settings_provider_hours": {"d0-count": "1", "d0-0-start": "08:00", "d0-0-end": "09:00"},
    "booking_notes": {"notes": "Taken"},
    "calendar_move": {"start": "2031-01-06T10:00", "version": "1", "notify": "no"},
    "settings_service_photo": {"remove_photo": "on"},
    "settings_provider_photo": {"remove_photo": "on"},
    "settings_provider_time_off": {
        "start": "2031-01-06T10:00",
        "end": "2031-01-06T12:00",
        "reason": "x",
    },
    "settings_member_role": {"role": "staff"},
    "waitlist_offer": {"provider": "1", "start": "2031-01-06T10:00"},
    "rating_reply": {"text": "Taken"},
    "rating_reply_edit": {"text": "Taken"},
    "rating_hide": {"reason": "abuse", "note": "x"},
    "settings_provider_feed": {"action": "create"},
    "settings_calendar_connect": {"kind": "ics", "url": "https://calendar.example/taken.ics"},
}

#: API path parameter → business B's value. Every id in an API path is one of these.
API_PARAMS: dict[str, Callable[[Tenant], Any]] = {
    "reference": lambda t: t.booking.reference,
    "service_id": lambda t: t.world.service.pk,
    "provider_id": lambda t: t.world.alex.pk,
    "time_off_id": lambda t: t.time_off.pk,
    "customer_id": lambda t: t.world.customer.pk,
    "page_id": lambda t: t.world.page.pk,
    "webhook_id": lambda t: t.webhook.pk,
    "entry": lambda t: t.waitlist_entry.reference,
    "rating_id": lambda t: t.rating.pk,
    "connection_id": lambda t: t.calendar_connection.pk,
    "conflict_id": lambda t: t.calendar_conflict.pk,
}

#: API operations open to anyone by design: the page slugs are published and a manage token
#: is the customer's own proof. Their rules are tested in test_tokens.py.
API_PUBLIC = {
    "/public/{business}/pages/{page}",
    "/public/{business}/pages/{page}/availability",
    "/public/{business}/pages/{page}/bookings",
    "/manage/{token}",
    "/manage/{token}/availability",
    "/manage/{token}/cancel",
    "/manage/{token}/reschedule",
    "/public/{business}/pages/{page}/waitlist",
    "/manage/{token}/waitlist",
    "/offers/{token}",
    "/offers/{token}/accept",
    # Published only when the business shows its ratings (tests/site/test_reviews.py,
    # tests/api/test_ratings.py).
    "/public/{business}/reviews",
}

#: URLs of the API that are not operations (not in the OpenAPI description).
API_NOT_OPERATIONS = {"openapi.json", "docs", "docs/assets/<name>", ""}

#: Customer pages: reachable by anyone holding the link or slug, by design (test_tokens.py).
SITE_PUBLIC = {
    "book",
    "manage",
    "manage_cancel",
    "manage_reschedule",
    "manage_calendar",
    "rate",
    # the waitlist: a published page, or a link's secret (test_tokens.py)
    "waitlist_join",
    "waitlist_entry",
    "offer",
    "manage_earlier",
    "reviews",
    # A provider's calendar feed: the secret token is the subscriber's proof (test_feeds.py).
    "feed",
    # A business's accent colour as a stylesheet: what its public pages show anyway.
    "brand_css",
}
#: Outside any namespace: uploaded images, under random names, shown on public pages.
#: ``api-unknown`` answers every other address under /api/ with the same JSON 404 and reads
#: nothing.
ROOT_PUBLIC = {"media", "api-unknown"}

#: Request bodies for API operations that take one: valid, so that the lookup (not the
#: validation) has to be what answers.
API_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("patch", "/services/{service_id}"): {"name": "Taken"},
    ("patch", "/providers/{provider_id}"): {"name": "Taken"},
    ("post", "/providers/{provider_id}/time-off"): {
        "start": "2031-01-06T10:00:00+00:00",
        "end": "2031-01-06T12:00:00+00:00",
    },
    ("patch", "/customers/{customer_id}"): {"name": "Taken"},
    ("patch", "/booking-pages/{page_id}"): {"title": "Taken"},
    ("patch", "/bookings/{reference}"): {},
    ("post", "/bookings/{reference}/cancel"): {"reason": "taken"},
    ("post", "/bookings/{reference}/reschedule"): {
        "start": "2031-01-06T10:00:00+00:00",
        "override_availability": True,
    },
    ("post", "/bookings/{reference}/clone"): {
        "start": "2031-01-06T10:00:00+00:00",
        "override_availability": True,
    },
    ("post", "/bookings/{reference}/payments"): {"amount": "10.00", "method": "cash"},
    ("patch", "/webhooks/{webhook_id}"): {"active": False},
    ("post", "/waitlist/{entry}/offers"): {
        "provider_id": 1,
        "start": "2031-01-06T10:00:00+00:00",
    },
    ("post", "/ratings/{rating_id}/reply"): {"text": "Taken"},
    ("put", "/ratings/{rating_id}/reply"): {"text": "Taken"},
    ("post", "/ratings/{rating_id}/hide"): {"reason": "abuse"},
    ("post", "/providers/{provider_id}/feed"): {"include_customer_contact": True},
    ("post", "/providers/{provider_id}/calendar-connections"): {
        "kind": "ics",
        "url": "https://calendar.example/taken.ics",
    },
    ("patch", "/providers/{provider_id}/calendar-connections/{connection_id}"): {"calendars": []},
}


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    """(route, namespace, name, parameter names) of every URL pattern, includes resolved."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            params = tuple(sorted(pattern.pattern.converters)) or _ninja_params(pattern)
            yield prefix + str(pattern.pattern), namespace, pattern.name, params


def _ninja_params(pattern: URLPattern) -> tuple[str, ...]:
    # django-ninja writes "<name>" routes, whose converters are only known after compiling.
    return tuple(sorted(pattern.pattern.regex.groupindex))


def _openapi_paths() -> dict[str, dict[str, Any]]:
    """OpenAPI paths relative to the API root, e.g. ``/bookings/{reference}``."""
    schema = api.get_openapi_schema()
    return {path.removeprefix(API_PREFIX): ops for path, ops in schema["paths"].items()}


def _fill(template: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def _backoffice_url(route: str, values: dict[str, Any]) -> str:
    url = "/" + route
    for name, value in values.items():
        for kind in ("str", "int", "slug"):
            url = url.replace(f"<{kind}:{name}>", str(value))
    assert "<" not in url, url
    return url


# --- the inventory: nothing unknown ----------------------------------------------------------


def test_every_url_with_parameters_is_known_here() -> None:
    """A URL pattern taking parameters must be walked below or listed as public on purpose."""
    unknown = []
    api_routes = {_ninja_route(p) for p in _openapi_paths()}
    for route, namespace, name, params in walk(get_resolver().url_patterns):
        if namespace == "backoffice" and params:
            if name not in BACKOFFICE and name not in BACKOFFICE_NOT_TENANT:
                unknown.append(route)
        elif namespace == "api-v1":
            relative = route.removeprefix("api/v1/")
            if relative not in api_routes and relative not in API_NOT_OPERATIONS:
                unknown.append(route)
        elif namespace == "site":
            if name not in SITE_PUBLIC:
                unknown.append(route)
        elif params and name not in ROOT_PUBLIC:
            unknown.append(route)
    assert not unknown, f"URLs with parameters nobody checks for tenant scoping: {unknown}"


def _ninja_route(openapi_path: str) -> str:
    return openapi_path.lstrip("/").replace("{", "<").replace("}", ">")


def test_every_api_path_parameter_is_known_here() -> None:
    """Every parameter in an API path is filled below, or the path is public on purpose."""
    unknown = []
    for path in _openapi_paths():
        if path in API_PUBLIC:
            continue
        for part in path.split("/"):
            if part.startswith("{") and part.strip("{}") not in API_PARAMS:
                unknown.append(f"{path}: {part}")
    assert not unknown, f"API path parameters with no business-B value to try: {unknown}"


def test_every_api_body_is_known_here() -> None:
    """An operation on an object that takes a body has a valid body below (else 422 hides)."""
    missing = []
    for path, operations in _openapi_paths().items():
        if "{" not in path or path in API_PUBLIC:
            continue
        for method, operation in operations.items():
            if "requestBody" in operation and (method, path) not in API_BODIES:
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"No request body to try for: {missing}"


# --- the walks -------------------------------------------------------------------------------


def test_backoffice_urls_with_another_business_objects_are_404(
    owner_client: Client, ours: Tenant, theirs: Tenant
) -> None:
    """A's owner asks for B's objects on every backoffice URL, with GET and POST."""
    before = snapshot()
    walked = 0
    for route, namespace, name, params in walk(get_resolver().url_patterns):
        if namespace != "backoffice" or not params or name in BACKOFFICE_NOT_TENANT:
            continue
        for values in BACKOFFICE[name](ours, theirs):
            assert set(values) == set(params), (name, params)
            url = _backoffice_url(route, values)
            statuses = {
                "get": owner_client.get(url).status_code,
                "post": owner_client.post(url, BACKOFFICE_DATA.get(name, {})).status_code,
            }
            # 405 only where the view takes no such method; at least one method reaches the
            # view, and there the answer is a plain 404.
            assert set(statuses.values()) <= {404, 405}, (url, statuses)
            assert 404 in statuses.values(), (url, statuses)
            walked += 1
    assert walked == sum(len(f(ours, theirs)) for f in BACKOFFICE.values())
    assert walked >= 18
    assert_unchanged(before)


def test_api_operations_on_another_business_objects_are_404(ours: Tenant, theirs: Tenant) -> None:
    """A's key asks for B's objects on every API path, with every HTTP method."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ours.api_key_raw}")
    before = snapshot()
    walked = 0
    for path, operations in _openapi_paths().items():
        if "{" not in path or path in API_PUBLIC:
            continue
        names = [part.strip("{}") for part in path.split("/") if part.startswith("{")]
        variants = [{n: API_PARAMS[n](theirs) for n in names}]
        if len(names) > 1:
            # Our outer object with their inner one, e.g. our provider, their time off.
            variants.append(
                {names[0]: API_PARAMS[names[0]](ours), names[-1]: variants[0][names[-1]]}
            )
        for values in variants:
            url = API_PREFIX + _fill(path, values)
            for method in API_METHODS:
                body = json.dumps(API_BODIES.get((method, path), {}))
                response = getattr(client, method)(
                    url, body if method != "get" else None, content_type="application/json"
                )
                expected = 404 if method in operations else 405
                assert response.status_code == expected, (method, url, response.content[:300])
                if expected == 404:
                    assert response.json()["code"] == "not_found", (method, url)
                walked += 1
    assert walked >= 20 * len(API_METHODS)
    assert_unchanged(before)


def test_the_walk_would_see_a_leak(owner_client: Client, ours: Tenant) -> None:
    """The same URLs with A's own objects are answered (so a 404 above means scoping)."""
    assert owner_client.get(f"/backoffice/bookings/{ours.booking.reference}/").status_code == 200
    assert owner_client.get(f"/backoffice/settings/pages/{ours.world.page.pk}/").status_code == 200
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ours.api_key_raw}")
    assert client.get(f"{API_PREFIX}/bookings/{ours.booking.reference}").status_code == 200
    assert client.get(f"{API_PREFIX}/webhooks/{ours.webhook.pk}").status_code == 200
