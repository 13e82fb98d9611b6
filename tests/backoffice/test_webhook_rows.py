"""A booking's webhook deliveries in the backoffice: the URL (which often carries a secret)
is shown to owners and admins only; other staff see "Webhook" and its status."""

from __future__ import annotations

import pytest
from django.urls import reverse

from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message, WebhookEndpoint
from slotwise.notifications.webhooks import enqueue_booking_event

pytestmark = pytest.mark.django_db

URL = "https://crm.example.test/in?token=very-secret-value"


@pytest.fixture
def webhook_row(world, booking) -> Message:
    WebhookEndpoint.objects.create(
        business=world.business,
        url=URL,
        events=["booking.created"],
        secret="x" * 32,
        created_at=utcnow(),
    )
    enqueue_booking_event(booking, event="booking.created", now=utcnow(), data={})
    return Message.objects.get(channel=Message.Channel.WEBHOOK)


def detail(client, booking) -> str:
    response = client.get(reverse("backoffice:booking_detail", args=[booking.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_staff_see_webhook_and_status_but_not_the_url(staff_client, booking, webhook_row):
    page = detail(staff_client, booking)
    assert "Webhook" in page and webhook_row.get_status_display() in page
    assert "crm.example.test" not in page and "very-secret-value" not in page
    # Nor through the error of a failed attempt, which may name the host.
    Message.objects.filter(pk=webhook_row.pk).update(
        status=Message.Status.AWAITING_RETRY,
        last_error="RuntimeError: could not reach the receiver: could not find crm.example.test",
    )
    page = detail(staff_client, booking)
    assert "Waiting to retry" in page
    assert "crm.example.test" not in page


def test_owners_see_the_webhook_url(owner_client, booking, webhook_row):
    page = detail(owner_client, booking)
    assert "crm.example.test/in?token=very-secret-value" in page
