"""A booking's webhook deliveries on the backoffice booking page: staff see "Webhook" and its
status, owners and admins also the URL (which often carries a token)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from slotwise.core.clock import utcnow
from slotwise.core.models import Membership
from slotwise.notifications.models import WebhookEndpoint
from slotwise.notifications.webhooks import enqueue_booking_event
from tests import factories
from tests.browser._backoffice import PASSWORD, next_monday_10, sign_in, world_with_history
from tests.browser.conftest import arrived, assert_accessible, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

URL = "https://crm.example.test/in?token=very-secret-value"


def test_webhook_rows_by_role(live_server, desktop_page, phone_page):
    world = world_with_history()
    WebhookEndpoint.objects.create(
        business=world.business,
        url=URL,
        events=["booking.created"],
        secret="x" * 32,
        created_at=utcnow(),
    )
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=next_monday_10(world),
        now=utcnow(),
    )
    enqueue_booking_event(booking, event="booking.created", now=utcnow(), data={})
    desk = get_user_model().objects.create_user(
        username="desk@acme.test", email="desk@acme.test", password=PASSWORD
    )
    Membership.objects.create(business=world.business, user=desk, role=Membership.Role.STAFF)
    base = live_server.url
    detail = f"{base}/backoffice/bookings/{booking.reference}/"

    for page, size in ((desktop_page, "desktop"), (phone_page, "phone")):
        sign_in(page, base, "desk@acme.test")
        page.goto(detail)
        notes = page.locator("section[aria-labelledby=h-notifications]")
        arrived(notes.get_by_text("Webhook", exact=True))
        assert "very-secret-value" not in page.content()
        assert "crm.example.test" not in page.content()
        assert_accessible(page)
        screenshot(page, f"backoffice-booking-webhook-staff-{size}")

    page = desktop_page
    page.context.clear_cookies()
    sign_in(page, base)
    page.goto(detail)
    assert "crm.example.test/in?token=very-secret-value" in page.content()
    screenshot(page, "backoffice-booking-webhook-owner-desktop")
