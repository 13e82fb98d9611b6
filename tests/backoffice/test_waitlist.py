"""The staff waitlist: per page and day, offers shown, offering by hand, the rule, the
dashboard figure, and the page setting."""

from __future__ import annotations

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingPage, WaitlistOffer, WaitlistSettings, WaitlistToken
from slotwise.bookings.tokens import waitlist_token_issue
from slotwise.core.clock import utcnow
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    return wl.waitlist_join(
        page=world.page,
        service_id=world.service.pk,
        provider_id=None,
        windows=[{"start": "2030-01-20", "end": "2030-01-21"}],
        customer=actions.CustomerDetails(name="Dana Waits", email="dana@example.test"),
        now=utcnow(),
    ).entry


def test_waitlist_page_lists_entries_by_page_and_day(world, entry, staff_client, other_world):
    other_page = factories.make_page(
        other_world.business, [other_world.service], [other_world.alex], slug="x", waitlist=True
    )
    wl.waitlist_join(
        page=other_page,
        service_id=other_world.service.pk,
        provider_id=None,
        windows=[{"start": "2030-01-20", "end": "2030-01-21"}],
        customer=actions.CustomerDetails(name="Other Tenant", email="o@example.test"),
        now=utcnow(),
    )
    page = staff_client.get("/backoffice/waitlist/").content.decode()
    assert "Dana Waits" in page and entry.reference in page
    assert "Other Tenant" not in page  # another business's entries never show
    on_day = staff_client.get(f"/backoffice/waitlist/?page={world.page.pk}&day=2030-01-21")
    assert "Dana Waits" in on_day.content.decode()
    off_day = staff_client.get("/backoffice/waitlist/?day=2030-01-25").content.decode()
    assert "Dana Waits" not in off_day and "Nobody is on the waitlist" in off_day
    # staff see no settings form; owners do
    assert "How freed times are offered" not in page


def test_staff_offer_a_time_by_hand_and_see_it(world, entry, staff_client):
    url = f"/backoffice/waitlist/{entry.reference}/offer/"
    assert staff_client.get(url).status_code == 200
    answer = staff_client.post(url, {"provider": world.blake.pk, "start": "2030-01-20T11:00"})
    assert answer.status_code == 302, answer.content.decode()[:3000]
    offer = WaitlistOffer.objects.get()
    assert offer.start == factories.local(world.business, 2030, 1, 20, 11)
    assert offer.offered_by == "staff"
    listed = staff_client.get("/backoffice/waitlist/").content.decode()
    assert "by hand" in listed and "Offered" in listed


def test_offer_by_hand_outside_hours_shows_the_reason(world, entry, staff_client):
    url = f"/backoffice/waitlist/{entry.reference}/offer/"
    answer = staff_client.post(url, {"provider": world.blake.pk, "start": "2030-01-20T22:00"})
    assert answer.status_code == 200 and b"no longer available" in answer.content
    assert not WaitlistOffer.objects.exists()
    assert staff_client.get("/backoffice/waitlist/WL-NOPE/offer/").status_code == 404


def test_owner_sets_the_rule_staff_may_not(world, owner_client, staff_client):
    denied = staff_client.post(
        "/backoffice/waitlist/settings/", {"mode": "notify_all", "hold_minutes": 30}
    )
    assert denied.status_code == 403
    assert (
        owner_client.post(
            "/backoffice/waitlist/settings/", {"mode": "notify_all", "hold_minutes": 30}
        ).status_code
        == 302
    )
    assert WaitlistSettings.objects.get().mode == "notify_all"
    owner_client.post("/backoffice/waitlist/settings/", {"mode": "x", "hold_minutes": 1})
    assert WaitlistSettings.objects.get().hold_minutes == 30
    assert (
        "How freed times are offered" in owner_client.get("/backoffice/waitlist/").content.decode()
    )


def test_dashboard_counts_freed_times_rebooked(world, entry, staff_client):
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 1, 20, 10),
        now=utcnow(),
    )
    actions.booking_cancel(booking_id=booking.pk, actor=Actor.system("desk"), now=utcnow())
    wl.waitlist_round(now=utcnow())
    offer = WaitlistOffer.objects.get()
    raw = waitlist_token_issue(
        entry=offer.entry, offer=offer, purpose=WaitlistToken.Purpose.OFFER, now=utcnow()
    )
    wl.offer_accept(raw_token=raw, now=utcnow())
    page = staff_client.get("/backoffice/").content.decode()
    assert 'id="waitlist-rebooked"><strong>1</strong>' in page


def test_page_form_turns_the_waitlist_on(world, owner_client):
    form = owner_client.get(f"/backoffice/settings/pages/{world.page.pk}/").content.decode()
    assert 'name="waitlist"' in form
