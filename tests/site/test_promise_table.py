"""The self-service promise says the same in every channel.

A table: page policy × time to the appointment (outside, at, inside the deadline; after the
start) × channel (booking page details step, confirmation page, HTML email, text email,
manage page, manage API, backoffice detail). Every channel must show the same allowed actions
and the same deadline instant, and that must be what the policy rules allow.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from slotwise.bookings.models import Booking, BookingToken
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.bookings.tokens import token_issue
from slotwise.core.models import Membership
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email, format_instant
from slotwise.site.views.common import start_param
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
#: Monday 3 June 2030, 10:00 in Berlin.
START = datetime(2030, 6, 3, 10, 0, tzinfo=BERLIN)

pytestmark = pytest.mark.django_db

POLICIES = {
    "both-24h": SelfServicePolicy(True, True, 1440),
    "cancel-only-48h": SelfServicePolicy(True, False, 2880),
    "reschedule-only-until-start": SelfServicePolicy(False, True, 0),
    "off": SelfServicePolicy(False, False, 1440),
}
MOMENTS = ["outside", "at", "inside", "after-start"]

PROMISE = re.compile(r'id="self-service-promise" data-deadline="([^"]*)" data-allowed="([^"]*)"')
STAFF = re.compile(r'id="self-service-status" data-deadline="([^"]*)" data-allowed="([^"]*)"')


def _moment(policy: SelfServicePolicy, moment: str) -> datetime:
    deadline = START.astimezone(UTC) - timedelta(minutes=policy.change_deadline_minutes)
    return {
        "outside": deadline - timedelta(hours=1),
        "at": deadline,
        "inside": deadline + timedelta(minutes=1),
        "after-start": START.astimezone(UTC) + timedelta(minutes=1),
    }[moment]


def _expected(policy: SelfServicePolicy, now: datetime) -> set[str]:
    """Straight from the product rules: offered, before the deadline, not started."""
    deadline = START.astimezone(UTC) - timedelta(minutes=policy.change_deadline_minutes)
    if now > deadline or now >= START:
        return set()
    return {
        a
        for a, on in (("cancel", policy.allow_cancel), ("reschedule", policy.allow_reschedule))
        if on
    }


def _marker(pattern: re.Pattern[str], html: str) -> tuple[datetime | None, set[str]] | None:
    found = pattern.search(html)
    if found is None:
        return None
    raw_deadline, raw_allowed = found.groups()
    deadline = datetime.fromisoformat(raw_deadline) if raw_deadline else None
    return deadline, set(raw_allowed.split())


def _links(body: str) -> set[str]:
    return {a for a in ("cancel", "reschedule") if re.search(rf"/manage/[\w-]+/{a}/", body)}


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("policy_name", list(POLICIES))
def test_every_channel_says_the_same(world, frozen_clock, policy_name, moment):
    policy = POLICIES[policy_name]
    page = world.page
    page.allow_cancel, page.allow_reschedule = policy.allow_cancel, policy.allow_reschedule
    page.change_deadline_minutes = policy.change_deadline_minutes
    page.save()
    now = _moment(policy, moment)
    frozen_clock.move_to(now)
    expected = _expected(policy, now)
    deadline = START.astimezone(UTC) - timedelta(minutes=policy.change_deadline_minutes)
    offered = policy.allow_cancel or policy.allow_reschedule
    # The words for the deadline: its instant, or "the appointment starts" for a 0 window.
    until = (
        f"online until {format_instant(deadline, BERLIN)}."
        if policy.change_deadline_minutes
        else "online until the appointment starts."
    )
    seen: dict[str, set[str]] = {}

    client = Client()
    book_url = f"/book/{world.business.slug}/{page.slug}/"
    choice = {
        "service": world.service.pk,
        "provider": world.alex.pk,
        "start": start_param(START),
        "tz": "Europe/Berlin",
    }
    if now < START:
        # 1. The booking page's details step, before confirming.
        details = html_lib.unescape(client.get(book_url, choice).content.decode())
        assert "Your details" in details
        marker = _marker(PROMISE, details)
        if not offered:
            assert marker is None
            assert "online" not in details.split("Your details")[1]
        else:
            assert marker is not None
            assert marker[0] == deadline
            seen["details"] = marker[1]
            if expected:
                assert until in details
            else:
                assert "Online changes won't be possible for this time" in details
        # 2. Confirm, then the confirmation page.
        done = client.post(
            book_url, {**choice, "name": "Robin", "email": "robin@example.test", "phone": ""}
        )
        assert done.status_code == 302, done.content.decode()[:2000]
        location = done["Location"]
        token = re.search(r"/manage/([\w-]+)/", location).group(1)  # type: ignore[union-attr]
        confirmation = html_lib.unescape(client.get(location).content.decode())
        marker = _marker(PROMISE, confirmation)
        assert marker is not None
        seen["confirmation"] = marker[1]
        if offered:
            assert marker[0] == deadline
        if expected:
            assert until in confirmation
        elif offered:
            assert "Online changes won't be possible for this time" in confirmation
        else:
            assert "online until" not in confirmation and "possible until" not in confirmation
        booking = Booking.objects.get(customer__email="robin@example.test")
    else:
        booking = factories.custom_booking(
            world.business,
            service=world.service,
            provider=world.alex,
            customer=world.customer,
            start=START,
            policy=policy,
            now=START - timedelta(days=3),
        )
        booking.customer.timezone = "Europe/Berlin"
        booking.customer.save()
        token = token_issue(booking=booking, purpose=BookingToken.Purpose.MANAGE, now=now)

    # 3, 4. The confirmation email, HTML and text, rendered now.
    row = Message.objects.filter(booking=booking, kind="confirmation", audience="customer").get()
    email = build_email(row, now=now)
    ((html, _mime),) = email.alternatives
    for name, body in (("html email", html_lib.unescape(html)), ("text email", email.body)):
        assert "View booking" in body
        seen[name] = _links(body)
        if expected:
            assert until in body
        if not offered:
            assert "online until" not in body and "possible until" not in body

    # 5. The manage page.
    manage = html_lib.unescape(client.get(f"/manage/{token}/").content.decode())
    marker = _marker(PROMISE, manage)
    assert marker is not None
    seen["manage page"] = marker[1]
    if offered:
        assert marker[0] == deadline
    if expected:
        assert until in manage

    # 6. The manage API.
    body = Client().get(f"/api/v1/manage/{token}").json()
    seen["manage api"] = set(body["allowed_actions"])
    assert datetime.fromisoformat(body["change_deadline"]) == deadline
    if expected:
        assert "online until" in body["message"]

    # 7. The backoffice booking page.
    staff = get_user_model().objects.create_user(
        username="desk@acme.test", email="desk@acme.test", password="another-long-password"
    )
    Membership.objects.create(business=world.business, user=staff, role=Membership.Role.STAFF)
    office = Client()
    office.force_login(staff)
    detail = office.get(f"/backoffice/bookings/{booking.reference}/").content.decode()
    marker = _marker(STAFF, detail)
    if offered:
        assert marker is not None and marker[0] == deadline
        seen["backoffice"] = marker[1]
    else:
        assert marker is None
        assert "the customer cannot cancel or reschedule online" in detail

    assert seen, "no channel was checked"
    assert {name: allowed for name, allowed in seen.items()} == {name: expected for name in seen}
