"""The waitlist with real ``run_worker`` processes: a cancel becomes an offer email within one
worker cycle, the offer is accepted from the email's link and the booking exists with its
emails; a worker killed with ``kill -9`` between the cancel and the offer still makes the offer
after a restart, once.

Real processes keep the real clock (docs/testing.md): times are placed days ahead of now.
"""

from __future__ import annotations

import re
import signal
from datetime import timedelta

import pytest
from django.test import Client

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingPage, FreedTime, WaitlistOffer
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests import factories
from tests.conftest import build_world
from tests.notifications.processes import wait_until, worker_pool
from tests.notifications.smtp import SMTPServer, ignore_email_settings_deprecation

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    ignore_email_settings_deprecation,
]


def _setup():
    """A booking ten days ahead with its customer, and Dana waiting for that day."""
    world = build_world()
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    day = (utcnow() + timedelta(days=10)).astimezone(world.business.tz).date()
    start = factories.local(world.business, day.year, day.month, day.day, 10)
    booking, _token = actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=world.alex,
        start=start,
        customer=actions.CustomerDetails(name="Casey", email="casey@example.test"),
        now=utcnow(),
    )
    wl.waitlist_join(
        page=world.page,
        service_id=world.service.pk,
        provider_id=None,
        windows=[{"start": day.isoformat(), "end": day.isoformat()}],
        customer=actions.CustomerDetails(name="Dana", email="dana@example.test"),
        now=utcnow(),
    )
    return world, booking, start


def _offer_mails(received):
    return [r for r in received if r.subject.startswith("A time is free")]


def _link(received, path):
    body = received.message.get_body(("plain",)).get_content()
    found = re.search(rf"{path}([\w-]+)/", body)
    assert found, body
    return found.group(1)


def test_cancel_offer_accept_with_real_workers(tmp_path):
    _world, booking, start = _setup()
    with SMTPServer() as server, worker_pool(tmp_path, server) as start_worker:
        w = start_worker("w1", "--poll", "0.1")
        w.wait_started()
        # The customer cancels; the freed time is written in the same transaction.
        actions.booking_cancel(booking_id=booking.pk, actor=Actor.customer("Casey"), now=utcnow())
        offers = server.wait_for(
            lambda r: bool(_offer_mails(r)), timeout=30, what="the offer email"
        )
        (mail,) = _offer_mails(offers)
        assert mail.rcpt_tos == ("dana@example.test",)
        token = _link(mail, "/offers/")
        client = Client()
        assert client.get(f"/offers/{token}/").status_code == 200  # reading books nothing
        assert not Booking.objects.filter(status="confirmed").exists()
        accepted = client.post(f"/offers/{token}/")
        assert accepted.status_code == 302, accepted.content.decode()[:2000]
        made = Booking.objects.get(status="confirmed")
        assert (made.start, made.customer.email) == (start, "dana@example.test")
        server.wait_for(
            lambda r: any(
                x.subject.startswith("Booking confirmed") and x.rcpt_tos == ("dana@example.test",)
                for x in r
            ),
            timeout=30,
            what="Dana's confirmation",
        )
        assert w.stop()[0] == 0, w.tail()
    assert WaitlistOffer.objects.get().status == "accepted"


def test_worker_killed_between_cancel_and_offer_still_offers_once(tmp_path):
    _world, booking, _start = _setup()
    with SMTPServer() as server, worker_pool(tmp_path, server) as start_worker:
        # A short lease: had it claimed the setup's emails before it froze (a loaded machine),
        # they come back to the next worker instead of waiting out the default lease.
        first = start_worker("w1", "--poll", "0.1", "--lease-seconds", "2")
        first.wait_started()
        first.proc.send_signal(signal.SIGSTOP)  # frozen: it sees nothing from here on
        actions.booking_cancel(booking_id=booking.pk, actor=Actor.customer("Casey"), now=utcnow())
        assert FreedTime.objects.filter(processed_at__isnull=True).count() == 1
        first.kill()  # kill -9 before it ever saw the freed time
        assert first.proc.wait(timeout=10) == -signal.SIGKILL
        assert not WaitlistOffer.objects.exists()

        second = start_worker("w2", "--poll", "0.1", "--lease-seconds", "2")
        server.wait_for(lambda r: bool(_offer_mails(r)), timeout=30, what="the offer email")
        second.kill()  # and again, right after the offer went out
        third = start_worker("w3", "--poll", "0.1", "--lease-seconds", "2")
        third.wait_started()
        wait_until(
            lambda: (
                not Message.objects.filter(status__in=["queued", "inflight"])
                .exclude(kind="reminder")
                .exists()
            ),
            timeout=30,
            what="the outbox is drained",
            info=lambda: (
                third.tail()
                + "\n"
                + repr(
                    list(
                        Message.objects.filter(status__in=["queued", "inflight"])
                        .exclude(kind="reminder")
                        .values_list("kind", "status", "attempts", "last_error")
                    )
                )
            ),
        )
        assert third.stop()[0] == 0, third.tail()
    assert WaitlistOffer.objects.count() == 1  # one offer, never two
    assert FreedTime.objects.get().processed_at is not None
    offer_ids = {r.message_id for r in _offer_mails(server.received)}
    assert len(offer_ids) == 1  # a resend after a kill carries the same Message-ID
