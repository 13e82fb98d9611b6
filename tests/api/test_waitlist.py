"""The waitlist over the API: joining, earlier times, offers by link, staff reads, settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import (
    Booking,
    BookingPage,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistToken,
)
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.bookings.tokens import waitlist_token_issue
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests.api.conftest import assert_error
from tests.factories import MONDAY, custom_booking

pytestmark = pytest.mark.django_db

WINDOW = [{"start": "2030-06-03", "end": "2030-06-05", "from": "09:00"}]


@pytest.fixture
def page(world):
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    return world.page


def join_body(world, **kw):
    return {
        "service_id": world.service.pk,
        "windows": WINDOW,
        "customer": {"name": "Dana", "email": "dana@example.test"},
        **kw,
    }


def url(world):
    return f"public/{world.business.slug}/pages/{world.page.slug}/waitlist"


def test_join_answers_201_with_reference_status_and_link(page, world, anon):
    answer = anon.post(url(world), join_body(world))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "waiting" and body["reference"].startswith("WL-")
    assert "/waitlist/" in body["manage_url"]
    entry = WaitlistEntry.objects.get()
    assert entry.windows == [
        {"first_day": "2030-06-03", "last_day": "2030-06-05", "from": "09:00", "until": None}
    ]


def test_join_is_404_where_the_page_has_no_waitlist(world, anon):
    assert_error(anon.post(url(world), join_body(world)), 404, "not_found")
    assert not WaitlistEntry.objects.exists()


def test_join_refuses_a_bad_email_and_bad_windows(page, world, anon):
    bad = join_body(world, customer={"name": "Dana", "email": "nope"})
    assert anon.post(url(world), bad).status_code == 422
    past = join_body(world, windows=[{"start": "2030-01-01", "end": "2030-01-02"}])
    assert_error(anon.post(url(world), past), 422, "invalid_input")
    assert not WaitlistEntry.objects.exists()


def test_booking_pages_api_reads_and_sets_the_setting(world, api):
    found = api.get(f"booking-pages/{world.page.pk}").json()
    assert found["waitlist"] is False
    changed = api.patch(f"booking-pages/{world.page.pk}", {"waitlist": True})
    assert changed.status_code == 200 and changed.json()["waitlist"] is True


def test_settings_put_and_get(api):
    assert api.get("settings/waitlist").json() == {"mode": "one_at_a_time", "hold_minutes": 60}
    answer = api.put("settings/waitlist", {"mode": "notify_all", "hold_minutes": 30})
    assert answer.json() == {"mode": "notify_all", "hold_minutes": 30}
    assert api.put("settings/waitlist", {"mode": "raffle", "hold_minutes": 30}).status_code == 422


def _offer(page, world, now):
    booking = custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=MONDAY.replace(hour=9),
        now=now,
    )
    wl.waitlist_join(
        page=page,
        service_id=world.service.pk,
        provider_id=None,
        windows=WINDOW,
        customer=actions.CustomerDetails(name="Dana", email="dana@example.test"),
        now=now,
    )
    actions.booking_cancel(booking_id=booking.pk, actor=Actor.system("desk"), now=now)
    wl.waitlist_round(now=now)
    offer = WaitlistOffer.objects.get()
    token = waitlist_token_issue(
        entry=offer.entry, offer=offer, purpose=WaitlistToken.Purpose.OFFER, now=now
    )
    return offer, token


def test_offer_get_is_safe_and_accept_books_once(page, world, anon, frozen_now):
    _offer_row, token = _offer(page, world, frozen_now)
    seen = anon.get(f"offers/{token}")
    assert seen.status_code == 200
    body = seen.json()
    assert body["status"] == "open" and body["provider_id"] == world.alex.pk
    assert body["start"].startswith("2030-06-03T09:00")
    assert Booking.objects.filter(status="confirmed").count() == 0
    accepted = anon.post(f"offers/{token}/accept")
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["booking"]["start"].startswith("2030-06-03T")
    assert "/manage/" in accepted.json()["manage_url"]
    assert_error(anon.post(f"offers/{token}/accept"), 409, "offer_expired")
    assert anon.get(f"offers/{token}").json()["status"] == "accepted"
    assert Booking.objects.filter(status="confirmed").count() == 1


def test_offer_taken_meanwhile_is_409_slot_unavailable(page, world, anon, frozen_now):
    offer, token = _offer(page, world, frozen_now)
    custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=offer.start,
        now=frozen_now,
    )
    assert_error(anon.post(f"offers/{token}/accept"), 409, "slot_unavailable")
    assert WaitlistEntry.objects.get().status == "waiting"


def test_lapsed_offer_reads_expired(page, world, anon, frozen_now):
    import time_machine

    offer, token = _offer(page, world, frozen_now)
    with time_machine.travel(offer.expires_at + timedelta(seconds=1), tick=False):
        assert anon.get(f"offers/{token}").json()["status"] == "expired"
        assert_error(anon.post(f"offers/{token}/accept"), 409, "offer_expired")


def test_unknown_offer_is_404(anon):
    assert_error(anon.get("offers/not-a-token"), 404, "not_found")
    assert_error(anon.post("offers/not-a-token/accept"), 404, "not_found")


def test_earlier_time_by_manage_link(page, world, anon, frozen_now):
    _booking, token = actions.booking_create_web(
        page=page,
        service=world.service,
        provider=world.alex,
        start=MONDAY.replace(hour=12) + timedelta(days=3),
        customer=actions.CustomerDetails(name="Eli", email="eli@example.test"),
        now=frozen_now,
    )
    answer = anon.post(f"manage/{token}/waitlist", {"windows": WINDOW})
    assert answer.status_code == 201, answer.content
    entry = WaitlistEntry.objects.get()
    assert entry.booking is not None and entry.email == "eli@example.test"
    assert Message.objects.filter(kind="waitlist_joined").count() == 1


def test_earlier_time_refused_without_reschedule(page, world, anon, frozen_now):
    BookingPage.objects.filter(pk=page.pk).update(allow_reschedule=False)
    page.refresh_from_db()
    _booking, token = actions.booking_create_web(
        page=page,
        service=world.service,
        provider=world.alex,
        start=MONDAY.replace(hour=12) + timedelta(days=3),
        customer=actions.CustomerDetails(name="Eli", email="eli@example.test"),
        now=frozen_now,
    )
    assert_error(anon.post(f"manage/{token}/waitlist", {"windows": WINDOW}), 403, "not_allowed")


def test_staff_list_filters_and_offer_by_hand(page, world, api, other_api, frozen_now):
    offer, _token = _offer(page, world, frozen_now)
    listed = api.get("waitlist", page_id=page.pk, day="2030-06-03")
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["name"] == "Dana" and item["offers"][0]["status"] == "open"
    assert api.get("waitlist", day="2030-07-01").json()["count"] == 0
    assert api.get("waitlist", status="booked").json()["count"] == 0
    assert other_api.get("waitlist").json()["count"] == 0  # another business sees none
    ref = item["reference"]
    made = api.post(
        f"waitlist/{ref}/offers",
        {"provider_id": world.blake.pk, "start": MONDAY.replace(hour=13).isoformat()},
    )
    assert made.status_code == 201, made.content
    assert made.json()["offered_by"] == "staff"
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert_error(
        other_api.post(
            f"waitlist/{ref}/offers",
            {"provider_id": world.blake.pk, "start": MONDAY.replace(hour=14).isoformat()},
        ),
        404,
        "not_found",
    )


def test_webhooks_for_offered_and_accepted(page, world, api, anon, frozen_now):
    from slotwise.api.services import webhook_endpoint_create

    webhook_endpoint_create(
        business=world.business,
        url="http://127.0.0.1:9/hook",
        events=["waitlist.offered", "waitlist.accepted"],
        now=frozen_now,
    )
    _offer_row, token = _offer(page, world, frozen_now)
    assert anon.post(f"offers/{token}/accept").status_code == 201
    events = sorted(m.context["event"] for m in Message.objects.filter(channel="webhook"))
    assert events == ["waitlist.accepted", "waitlist.offered"]
    accepted = Message.objects.get(channel="webhook", context__event="waitlist.accepted")
    assert accepted.context["payload"]["data"]["booking"]["status"] == "confirmed"


def test_policy_off_page_is_still_fine_for_new_bookings(page, world, anon, frozen_now):
    """Accepting a new booking copies the page's self-service policy as it is now."""
    _offer_row, token = _offer(page, world, frozen_now)
    BookingPage.objects.filter(pk=page.pk).update(allow_cancel=False, allow_reschedule=False)
    assert anon.post(f"offers/{token}/accept").status_code == 201
    booking = Booking.objects.get(status="confirmed")
    assert booking.policy == SelfServicePolicy(
        allow_cancel=False, allow_reschedule=False, change_deadline_minutes=1440
    )
    _ = utcnow
