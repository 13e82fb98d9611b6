"""The waitlist's emails: rendered like booking emails, in HTML and text, each with a link to
leave the waitlist; the offer names the exact time, provider and zone and links to accept."""

from __future__ import annotations

import re

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingPage, WaitlistEntry, WaitlistOffer
from slotwise.core import errors
from slotwise.core.clock import utcnow
from slotwise.notifications import worker
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(world):
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    now = utcnow()
    start = factories.local(world.business, 2030, 1, 20, 10)
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        now=now,
    )
    wl.waitlist_join(
        page=world.page,
        service_id=world.service.pk,
        provider_id=None,
        windows=[{"start": "2030-01-20", "end": "2030-01-20"}],
        customer=actions.CustomerDetails(
            name="Dana", email="dana@example.test", timezone="America/New_York"
        ),
        now=now,
    )
    actions.booking_cancel(booking_id=booking.pk, actor=Actor.system("desk"), now=now)
    return now


def _alternative(email):
    ((html, _mime),) = email.alternatives
    return html


def test_offer_email_names_time_provider_zone_and_links(world, offered, client):
    assert worker.run_once(worker_id="t", now=utcnow) >= 1  # the round makes the offer too
    offer = WaitlistOffer.objects.get()
    message = Message.objects.get(kind=Message.Kind.WAITLIST_OFFER)
    assert message.status == "sent"
    email = build_email(message, now=utcnow())
    text, html = email.body, _alternative(email)
    # Dana's own zone: 10:00 in Berlin is 04:00 in New York.
    assert "04:00 – 05:00 (America/New_York, EST)" in text
    assert "Alex" in text and "Haircut" in text
    accept = re.search(r"/offers/([\w-]+)/", text)
    leave = re.search(r"/waitlist/([\w-]+)/", text)
    assert accept and leave
    assert "/offers/" in html and "/waitlist/" in html
    assert email.extra_headers["List-Unsubscribe"].startswith("<http")
    assert email.subject.startswith("A time is free: Haircut")
    # The link works: it opens the offer, without changing it.
    assert client.get(f"/offers/{accept.group(1)}/").status_code == 200
    offer.refresh_from_db()
    assert offer.status == "open"


def test_joined_email_lists_the_windows_and_the_leave_link(world, offered):
    message = Message.objects.get(kind=Message.Kind.WAITLIST_JOINED)
    email = build_email(message, now=utcnow())
    assert "Sunday, 20 January 2030, any time" in email.body
    assert "/waitlist/" in email.body and "/waitlist/" in _alternative(email)
    assert email.subject == "You are on the waitlist: Haircut at Acme Studio"


def test_a_message_without_its_entry_is_undeliverable(world, offered):
    message = Message.objects.get(kind=Message.Kind.WAITLIST_JOINED)
    message.context = {"entry_id": 0}
    with pytest.raises(ValueError):
        build_email(message, now=utcnow())


def test_waitlist_emails_are_written_in_the_language_the_customer_joined_in(world):
    """A customer who joined in German gets German waitlist emails, whoever freed the time
    (here the desk, in the backoffice's English): docs/translating.md, "Whose language"."""
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    now = utcnow()
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 1, 20, 10),
        now=now,
    )
    entry = wl.waitlist_join(
        page=world.page,
        service_id=world.service.pk,
        provider_id=None,
        windows=[{"start": "2030-01-20", "end": "2030-01-20"}],
        customer=actions.CustomerDetails(name="Dana", email="dana@example.test", language="de"),
        now=now,
    ).entry
    assert entry.language == "de"
    actions.booking_cancel(booking_id=booking.pk, actor=Actor.system("desk"), now=now)
    assert worker.run_once(worker_id="t", now=utcnow) >= 1
    joined = build_email(Message.objects.get(kind=Message.Kind.WAITLIST_JOINED), now=utcnow())
    offer = build_email(Message.objects.get(kind=Message.Kind.WAITLIST_OFFER), now=utcnow())
    assert "Januar" in joined.body  # the window, in German
    assert "You are on the waitlist" not in joined.subject
    assert "A time is free" not in offer.subject
    assert "Januar" in offer.subject or "Jan." in offer.subject
    assert "Accept" not in offer.body


def test_a_language_that_is_not_shipped_is_refused_when_joining(world):
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    with pytest.raises(errors.InvalidInput):
        wl.waitlist_join(
            page=world.page,
            service_id=world.service.pk,
            provider_id=None,
            windows=[{"start": "2030-01-20", "end": "2030-01-20"}],
            customer=actions.CustomerDetails(name="Dana", email="d@example.test", language="xx"),
            now=utcnow(),
        )
    assert not WaitlistEntry.objects.exists()
