"""Manage links: one token opens one booking, only as far as its policy allows; guessing is
rate limited on the pages and the API alike; the lookup is by hash, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from slotwise.bookings import actions
from slotwise.bookings import tokens as token_module
from slotwise.bookings.models import Booking, BookingToken
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.core import api_keys as api_services
from slotwise.core import ratelimit
from slotwise.core.clock import utcnow
from tests import factories
from tests.conftest import World
from tests.security.conftest import Tenant, assert_unchanged, snapshot


def _booking(world: World, policy: SelfServicePolicy, days: int) -> tuple[Booking, str]:
    """A confirmed booking ``days`` ahead at 10:00 with ``policy``, and its manage token."""
    now = utcnow()
    start = (now + timedelta(days=days)).astimezone(world.business.tz)
    start = start.replace(hour=10, minute=0, second=0, microsecond=0)
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.blake,
        customer=world.customer,
        start=start,
        policy=policy,
        now=now,
    )
    return booking, actions.token_issue(booking=booking, purpose="manage", now=now)


def _policy(cancel: bool, reschedule: bool) -> SelfServicePolicy:
    return SelfServicePolicy(
        allow_cancel=cancel,
        allow_reschedule=reschedule,
        change_deadline_minutes=60,
        max_reschedules=None,
    )


def _free_start(booking: Booking) -> str:
    """The same time one day later: inside working hours and free."""
    return (booking.start + timedelta(days=1)).astimezone(booking.start.tzinfo).isoformat()


def _page_start(booking: Booking) -> str:
    return (booking.start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%MZ")


# --- one token, one booking ------------------------------------------------------------------


def test_a_token_acts_on_its_own_booking_only(client: Client, ours: Tenant) -> None:
    """Cancelling through X's link cancels X; Y, of the same customer, stays as it was."""
    x, x_token = _booking(ours.world, _policy(True, True), days=30)
    y, _ = _booking(ours.world, _policy(True, True), days=31)
    page = client.get(f"/manage/{x_token}/").content.decode()
    assert x.reference in page and y.reference not in page
    api = Client().get(f"/api/v1/manage/{x_token}").json()
    assert api["booking"]["reference"] == x.reference
    y_before = Booking.objects.values().get(pk=y.pk)

    response = client.post(f"/manage/{x_token}/cancel/", {"version": x.version})
    assert response.status_code == 302
    assert Booking.objects.get(pk=x.pk).status == Booking.Status.CANCELLED
    assert Booking.objects.values().get(pk=y.pk) == y_before


def test_a_rating_link_is_not_a_manage_link_and_back(client: Client, ours: Tenant) -> None:
    """Each token opens only the pages of its purpose (a rating link cannot cancel)."""
    before = snapshot()
    assert client.get(f"/manage/{ours.rate_token}/").status_code == 404
    assert client.post(f"/manage/{ours.rate_token}/cancel/", {"version": 1}).status_code == 404
    assert client.get(f"/rate/{ours.manage_token}/").status_code == 404
    api = Client().post(f"/api/v1/manage/{ours.rate_token}/cancel", {}, "application/json")
    assert api.status_code == 404
    assert_unchanged(before)


# --- only what the policy allows -------------------------------------------------------------


@pytest.mark.parametrize(("cancel", "reschedule"), [(False, False), (False, True), (True, False)])
def test_refused_actions_change_nothing_on_the_pages(
    client: Client, ours: Tenant, cancel: bool, reschedule: bool
) -> None:
    """A change the policy does not allow is refused with a message; no row moves."""
    booking, token = _booking(ours.world, _policy(cancel, reschedule), days=30)
    attempts = []
    if not cancel:
        attempts.append((f"/manage/{token}/cancel/", {"version": booking.version}))
    if not reschedule:
        data = {"version": booking.version, "start": _page_start(booking)}
        attempts.append((f"/manage/{token}/reschedule/", data))
    for url, data in attempts:
        before = snapshot()
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert_unchanged(before)
        notes = [str(m) for m in response.context["messages"]]
        assert notes and "not" in " ".join(notes).lower(), notes
    # The page does not offer what the policy forbids.
    page = client.get(f"/manage/{token}/").content.decode()
    assert (f"/manage/{token}/cancel/" in page) is cancel
    assert (f"/manage/{token}/reschedule/" in page) is reschedule


@pytest.mark.parametrize(("cancel", "reschedule"), [(False, False), (False, True), (True, False)])
def test_refused_actions_change_nothing_in_the_api(
    ours: Tenant, cancel: bool, reschedule: bool
) -> None:
    booking, token = _booking(ours.world, _policy(cancel, reschedule), days=30)
    api = Client()
    before = snapshot()
    if not cancel:
        response = api.post(f"/api/v1/manage/{token}/cancel", {}, content_type="application/json")
        assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    if not reschedule:
        body = {"start": _free_start(booking)}
        response = api.post(
            f"/api/v1/manage/{token}/reschedule", body, content_type="application/json"
        )
        assert response.status_code == 403 and response.json()["code"] == "not_allowed"
        availability = api.get(f"/api/v1/manage/{token}/availability")
        assert availability.status_code == 403
    assert_unchanged(before)


def test_the_allowed_action_still_works(ours: Tenant) -> None:
    """The refusals above come from the policy: the same booking with it allowed moves."""
    booking, token = _booking(ours.world, _policy(False, True), days=30)
    body = {"start": _free_start(booking)}
    response = Client().post(
        f"/api/v1/manage/{token}/reschedule", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Booking.objects.get(pk=booking.pk).start == booking.start + timedelta(days=1)


# --- guessing --------------------------------------------------------------------------------


def _guess(n: int) -> str:
    return f"guess{n:04d}" + "x" * 38


@pytest.fixture
def still_clock() -> Iterator[None]:
    """Rate limits count in fixed windows: keep the test inside one of them."""
    with time_machine.travel(utcnow(), tick=False):
        yield


def test_guessing_on_the_pages_then_the_api_is_answered_429(
    ours: Tenant, still_clock: None
) -> None:
    """Bad tokens count per client address on pages and API together; past the limit every
    token, even a valid one, is refused with 429, so guessing cannot go on elsewhere."""
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(ratelimit.BAD_TOKEN_LIMIT):
        assert client.get(f"/manage/{_guess(n)}/").status_code == 404
    page = client.get(f"/manage/{ours.manage_token}/")
    assert page.status_code == 429
    assert int(page["Retry-After"]) == ratelimit.BAD_TOKEN_WINDOW
    assert client.get(f"/rate/{ours.rate_token}/").status_code == 429
    api = client.get(f"/api/v1/manage/{ours.manage_token}")
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"
    before = snapshot()
    post = client.post(f"/api/v1/manage/{ours.manage_token}/cancel", {}, "application/json")
    assert post.status_code == 429
    assert_unchanged(before)
    # Another address is not affected.
    assert Client(REMOTE_ADDR="203.0.113.8").get(f"/manage/{ours.manage_token}/").status_code == 200


def test_guessing_in_the_api_is_answered_429(ours: Tenant, still_clock: None) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(ratelimit.BAD_TOKEN_LIMIT):
        assert client.get(f"/api/v1/manage/{_guess(n)}").status_code == 404
    assert client.get(f"/api/v1/manage/{_guess(99)}").status_code == 429
    assert client.get(f"/manage/{ours.manage_token}/").status_code == 429


# --- hashed, constant-time lookup ------------------------------------------------------------


def test_tokens_are_stored_only_as_sha256(ours: Tenant) -> None:
    stored = set(BookingToken.objects.values_list("token_hash", flat=True))
    assert hashlib.sha256(ours.manage_token.encode()).hexdigest() in stored
    assert ours.manage_token not in stored and ours.rate_token not in stored
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in stored)


def _spy_compare(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def compare(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(module.hmac, "compare_digest", compare)
    return calls


def test_token_lookup_is_by_hash_and_compared_in_constant_time(
    ours: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database is asked for the SHA-256 of the token, never the token: an index lookup
    on a hash leaks nothing about the secret through timing, and the final comparison is
    hmac.compare_digest."""
    calls = _spy_compare(monkeypatch, token_module)
    digest = hashlib.sha256(ours.manage_token.encode()).hexdigest()
    with CaptureQueriesContext(connection) as queries:
        found = actions.token_verify(raw=ours.manage_token, purpose="manage", now=utcnow())
    assert found is not None and found.pk == ours.booking.pk
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert digest in sql and ours.manage_token not in sql
    assert calls == [(digest, digest)]


def test_api_key_lookup_is_by_hash_and_compared_in_constant_time(
    ours: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _spy_compare(monkeypatch, api_services)
    digest = hashlib.sha256(ours.api_key_raw.encode()).hexdigest()
    with CaptureQueriesContext(connection) as queries:
        key = api_services.api_key_authenticate(raw=ours.api_key_raw, now=utcnow())
    assert key is not None and key.pk == ours.api_key.pk
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert digest in sql and ours.api_key_raw not in sql
    assert calls == [(digest, digest)]


# --- waitlist links --------------------------------------------------------------------------


def test_guessing_offer_and_waitlist_links_counts_with_the_others(
    ours: Tenant, still_clock: None
) -> None:
    """Offer and waitlist links count towards the same limit as manage links: a client that
    guesses on /offers/ is refused on /manage/ and in the API too."""
    client = Client(REMOTE_ADDR="203.0.113.10")
    for n in range(ratelimit.BAD_TOKEN_LIMIT // 2):
        assert client.get(f"/offers/{_guess(n)}/").status_code == 404
    for n in range(ratelimit.BAD_TOKEN_LIMIT // 2, ratelimit.BAD_TOKEN_LIMIT):
        assert client.get(f"/waitlist/{_guess(n)}/").status_code == 404
    assert client.get(f"/manage/{ours.manage_token}/").status_code == 429
    assert client.get(f"/api/v1/offers/{_guess(0)}").status_code == 429
    assert client.post(f"/offers/{_guess(1)}/").status_code == 429


def test_a_manage_link_is_not_an_offer_or_waitlist_link(client: Client, ours: Tenant) -> None:
    assert client.get(f"/offers/{ours.manage_token}/").status_code == 404
    assert client.get(f"/waitlist/{ours.manage_token}/").status_code == 404
    assert Client().get(f"/api/v1/offers/{ours.manage_token}").status_code == 404
