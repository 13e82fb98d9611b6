"""The waitlist: joining, freed time turned into offers, holds, accepting, leaving.

In process, with the clock frozen (tests/support/clock.py): each test passes ``now``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import (
    Booking,
    FreedTime,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistSettings,
    WaitlistToken,
)
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.bookings.tokens import waitlist_token_issue
from slotwise.catalog import services as catalog
from slotwise.catalog.models import TimeOff
from slotwise.core import errors
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests import factories

STAFF = Actor.system("front desk")
BOTH = SelfServicePolicy(allow_cancel=True, allow_reschedule=True, change_deadline_minutes=60)


@pytest.fixture
def page(world):
    world.page.waitlist = True
    world.page.save()
    return world.page


def at(world, day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in January 2030 (the suite's clock is Wednesday 16 January, 10:00)."""
    return factories.local(world.business, 2030, 1, day, hour, minute)


def join(page, world, name="Dana", day=20, provider=None, **window):
    return wl.waitlist_join(
        page=page,
        service_id=world.service.pk,
        provider_id=provider.pk if provider else None,
        windows=[{"start": f"2030-01-{day:02d}", "end": f"2030-01-{day:02d}", **window}],
        customer=actions.CustomerDetails(name=name, email=f"{name.lower()}@example.test"),
        now=utcnow(),
    ).entry


def book(world, start, provider=None, policy=BOTH, page=None):
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=provider or world.alex,
        customer=world.customer,
        start=start,
        policy=policy,
        now=utcnow(),
    )
    if page is not None:
        Booking.objects.filter(pk=booking.pk).update(booking_page=page)
        booking.refresh_from_db()
    return booking


def offer_token(offer: WaitlistOffer) -> str:
    return waitlist_token_issue(
        entry=offer.entry, offer=offer, purpose=WaitlistToken.Purpose.OFFER, now=utcnow()
    )


def cancel(booking, now=None):
    return actions.booking_cancel(booking_id=booking.pk, actor=STAFF, now=now or utcnow())


def set_mode(world, mode, hold=60):
    wl.waitlist_settings_set(business=world.business, mode=mode, hold_minutes=hold)


# --- joining ---------------------------------------------------------------------------------


def test_joining_needs_the_page_setting(world):
    assert world.page.waitlist is False  # off by default
    with pytest.raises(errors.NotFound):
        join(world.page, world)
    assert not WaitlistEntry.objects.exists()


def test_join_writes_the_entry_and_queues_the_email(page, world):
    entry = join(page, world, **{"from": "09:00", "until": "12:00"})
    assert entry.status == "waiting" and entry.reference.startswith("WL-")
    assert entry.windows == [
        {"first_day": "2030-01-20", "last_day": "2030-01-20", "from": "09:00", "until": "12:00"}
    ]
    (mail,) = Message.objects.filter(kind=Message.Kind.WAITLIST_JOINED)
    assert mail.recipient == "dana@example.test"


@pytest.mark.parametrize(
    ("windows", "field"),
    [
        ([], "windows"),
        ([{"start": "2030-01-10", "end": "2030-01-12"}], "windows"),
        ([{"start": "2030-01-22", "end": "2030-01-21"}], "windows"),
        ([{"start": "tomorrow", "end": "2030-01-21"}], "windows"),
        (
            [{"start": "2030-01-21", "end": "2030-01-21", "from": "12:00", "until": "09:00"}],
            "windows",
        ),
    ],
)
def test_join_refuses_bad_windows_and_changes_nothing(page, world, windows, field):
    with pytest.raises(errors.InvalidInput) as info:
        wl.waitlist_join(
            page=page,
            service_id=world.service.pk,
            provider_id=None,
            windows=windows,
            customer=actions.CustomerDetails(name="Dana", email="dana@example.test"),
            now=utcnow(),
        )
    assert info.value.details["field"] == field
    assert not WaitlistEntry.objects.exists() and not Message.objects.exists()


def test_join_validates_the_email_like_a_booking(page, world):
    with pytest.raises(errors.InvalidInput) as info:
        wl.waitlist_join(
            page=page,
            service_id=world.service.pk,
            provider_id=None,
            windows=[{"start": "2030-01-20", "end": "2030-01-20"}],
            customer=actions.CustomerDetails(name="Dana", email="not an address"),
            now=utcnow(),
        )
    assert info.value.details["field"] == "email"


def test_join_refuses_a_provider_not_on_the_page(page, world, other_world):
    with pytest.raises(errors.InvalidInput):
        join(page, world, provider=other_world.alex)


# --- freed time becomes an offer -------------------------------------------------------------


def test_cancel_writes_freed_time_only_when_someone_waits(page, world):
    first = book(world, at(world, 20, 10))
    cancel(first)
    assert not FreedTime.objects.exists()
    join(page, world)
    second = book(world, at(world, 20, 10))
    cancel(second)
    (freed,) = FreedTime.objects.all()
    assert (freed.start, freed.end, freed.reason) == (
        second.blocked_start,
        second.blocked_end,
        "cancel",
    )
    assert freed.processed_at is None


def test_one_at_a_time_offers_the_first_in_line_and_moves_on_when_the_hold_lapses(page, world):
    booking = book(world, at(world, 20, 10))
    first, second = join(page, world, "Dana"), join(page, world, "Eli")
    cancel(booking)
    now = utcnow()
    assert wl.waitlist_round(now=now) == 1
    (offer,) = WaitlistOffer.objects.all()
    assert (offer.entry, offer.start, offer.provider) == (first, at(world, 20, 10), world.alex)
    assert offer.expires_at == now + timedelta(minutes=60)
    assert Message.objects.filter(
        kind=Message.Kind.WAITLIST_OFFER, recipient="dana@example.test"
    ).exists()
    assert wl.waitlist_round(now=utcnow()) == 0  # the freed time is done: no second offer

    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=False):
        wl.waitlist_round(now=utcnow())
    offer.refresh_from_db()
    assert offer.status == "expired"
    nxt = WaitlistOffer.objects.get(status="open")
    assert (nxt.entry, nxt.start) == (second, at(world, 20, 10))
    first.refresh_from_db()
    assert first.status == "waiting"  # still waiting, but not offered this time again


def test_hold_ends_before_the_page_minimum_notice(page, world):
    page.min_notice_minutes = 120
    page.save()
    booking = book(world, at(world, 16, 13))
    join(page, world, day=16)
    cancel(booking)
    wl.waitlist_round(now=utcnow())
    (offer,) = WaitlistOffer.objects.all()
    assert offer.expires_at == offer.start - timedelta(minutes=120)
    assert offer.expires_at < utcnow() + timedelta(minutes=60)


def test_windows_and_times_of_day_decide_who_matches(page, world):
    booking = book(world, at(world, 20, 14))
    join(page, world, "Dana", **{"from": "09:00", "until": "12:00"})  # mornings only
    afternoon = join(page, world, "Eli", **{"from": "13:00"})
    join(page, world, "Finn", day=21)
    cancel(booking)
    wl.waitlist_round(now=utcnow())
    (offer,) = WaitlistOffer.objects.all()
    assert offer.entry == afternoon


def test_a_provider_choice_is_respected(page, world):
    booking = book(world, at(world, 20, 10), provider=world.alex)
    join(page, world, "Dana", provider=world.blake)
    cancel(booking)
    wl.waitlist_round(now=utcnow())
    assert not WaitlistOffer.objects.exists()


def test_notify_all_tells_everyone_and_the_first_accept_wins(page, world):
    set_mode(world, "notify_all")
    booking = book(world, at(world, 20, 10))
    join(page, world, "Dana"), join(page, world, "Eli")
    cancel(booking)
    wl.waitlist_round(now=utcnow())
    first, second = WaitlistOffer.objects.order_by("pk")
    assert first.start == second.start == at(world, 20, 10)
    accepted = wl.offer_accept(raw_token=offer_token(second), now=utcnow())
    assert accepted.booking.start == at(world, 20, 10) and accepted.booking.status == "confirmed"
    assert accepted.booking.contact.name == "Eli"
    first.refresh_from_db()
    assert first.status == "taken"
    with pytest.raises(errors.OfferExpired):
        wl.offer_accept(raw_token=offer_token(first), now=utcnow())
    assert Booking.objects.filter(status="confirmed").count() == 1
    first.entry.refresh_from_db()
    assert first.entry.status == "waiting"


# --- accepting --------------------------------------------------------------------------------


def offered(page, world, **kw):
    booking = book(world, at(world, 20, 10))
    entry = join(page, world, **kw)
    cancel(booking)
    wl.waitlist_round(now=utcnow())
    return entry, WaitlistOffer.objects.get(entry=entry)


def test_accept_makes_a_web_booking_with_the_page_policy_as_of_now(page, world):
    entry, offer = offered(page, world)
    page.allow_cancel, page.change_deadline_minutes = False, 120
    page.save()
    result = wl.offer_accept(raw_token=offer_token(offer), now=utcnow())
    booking = result.booking
    assert (booking.source, booking.booking_page, booking.start) == ("web", page, offer.start)
    assert (booking.allow_cancel, booking.allow_reschedule, booking.change_deadline_minutes) == (
        False,
        True,
        120,
    )
    assert booking.customer.email == "dana@example.test"
    offer.refresh_from_db(), entry.refresh_from_db()
    assert (offer.status, offer.booking, entry.status) == ("accepted", booking, "booked")
    assert Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION).exists()
    assert result.token and not result.rescheduled


def test_an_offer_cannot_be_used_twice(page, world):
    _entry, offer = offered(page, world)
    token = offer_token(offer)
    wl.offer_accept(raw_token=token, now=utcnow())
    with pytest.raises(errors.OfferExpired):
        wl.offer_accept(raw_token=token, now=utcnow())
    assert Booking.objects.filter(status="confirmed").count() == 1


def test_an_expired_offer_is_refused(page, world):
    _entry, offer = offered(page, world)
    with pytest.raises(errors.OfferExpired):
        wl.offer_accept(raw_token=offer_token(offer), now=offer.expires_at)


def test_held_time_stays_bookable_and_the_customer_keeps_waiting(page, world):
    """A hold is a head start, not a reservation (docs/waitlist.md): someone booking the
    time meanwhile gets it; the offer's customer is told and stays on the waitlist."""
    entry, offer = offered(page, world)
    book(world, offer.start)
    with pytest.raises(errors.SlotUnavailable):
        wl.offer_accept(raw_token=offer_token(offer), now=utcnow())
    offer.refresh_from_db(), entry.refresh_from_db()
    assert (offer.status, entry.status) == ("taken", "waiting")


def test_opening_an_offer_changes_nothing(page, world):
    _entry, offer = offered(page, world)
    token = offer_token(offer)
    before = (list(WaitlistOffer.objects.values()), Booking.objects.count())
    found = wl.offer_from_token(raw_token=token, now=utcnow())
    assert found == offer and wl.offer_is_open(found, utcnow())
    assert wl.offer_from_token(raw_token="nope", now=utcnow()) is None
    assert (list(WaitlistOffer.objects.values()), Booking.objects.count()) == before


def test_unknown_offer_link_is_not_found(page, world):
    with pytest.raises(errors.NotFound):
        wl.offer_accept(raw_token="x" * 43, now=utcnow())


# --- an earlier time for a booking held ------------------------------------------------------


def test_earlier_time_reschedules_the_held_booking_and_moves_its_reminders(page, world):
    held = book(world, at(world, 25, 10), page=page)
    entry = wl.waitlist_join_earlier(
        booking=held, windows=[{"start": "2030-01-18", "end": "2030-01-24"}], now=utcnow()
    ).entry
    assert (entry.booking, entry.provider_id) == (held, world.alex.pk)
    other = book(world, at(world, 20, 10))
    cancel(other)
    wl.waitlist_round(now=utcnow())
    offer = WaitlistOffer.objects.get(entry=entry)
    assert offer.start == at(world, 20, 10)
    result = wl.offer_accept(raw_token=offer_token(offer), now=utcnow())
    held.refresh_from_db()
    assert result.rescheduled and result.booking == held
    assert held.start == at(world, 20, 10) and held.reschedule_count == 1
    reminder = Message.objects.get(booking=held, kind="reminder", status="queued")
    assert reminder.due_at == held.start - timedelta(minutes=reminder.reminder_minutes)
    assert Message.objects.filter(booking=held, kind="rescheduled").exists()
    # The held booking's old time is freed in turn (for whoever waits next).
    assert FreedTime.objects.get(reason="reschedule").start == at(world, 25, 10)


def test_earlier_time_only_where_the_policy_allows_reschedule(page, world):
    held = book(world, at(world, 25, 10), page=page, policy=SelfServicePolicy.off())
    with pytest.raises(errors.NotAllowed):
        wl.waitlist_join_earlier(
            booking=held, windows=[{"start": "2030-01-18", "end": "2030-01-24"}], now=utcnow()
        )
    assert not WaitlistEntry.objects.exists()


def test_earlier_time_offers_only_earlier_times(page, world):
    held = book(world, at(world, 20, 9), page=page)
    wl.waitlist_join_earlier(
        booking=held, windows=[{"start": "2030-01-18", "end": "2030-01-24"}], now=utcnow()
    )
    later = book(world, at(world, 20, 14))
    cancel(later)
    wl.waitlist_round(now=utcnow())
    assert not WaitlistOffer.objects.exists()


def test_cancelling_the_held_booking_closes_its_request(page, world):
    held = book(world, at(world, 25, 10), page=page)
    entry = wl.waitlist_join_earlier(
        booking=held, windows=[{"start": "2030-01-18", "end": "2030-01-24"}], now=utcnow()
    ).entry
    cancel(held)
    entry.refresh_from_db()
    assert entry.status == "left"


# --- leaving, by hand, catalog changes ---------------------------------------------------------


def test_leave_withdraws_the_offer_and_the_time_goes_to_the_next(page, world):
    entry, offer = offered(page, world)
    nxt = join(page, world, "Eli")
    wl.waitlist_leave(raw_token=offer_token(offer), now=utcnow())
    offer.refresh_from_db(), entry.refresh_from_db()
    assert (entry.status, offer.status) == ("left", "withdrawn")
    wl.waitlist_round(now=utcnow())
    assert WaitlistOffer.objects.get(status="open").entry == nxt
    with pytest.raises(errors.NotFound):
        wl.waitlist_leave(raw_token="bad", now=utcnow())


def test_staff_offer_a_time_by_hand(page, world):
    entry = join(page, world)
    offer = wl.waitlist_offer_by_hand(
        business=world.business,
        entry_id=entry.pk,
        provider_id=world.blake.pk,
        start=at(world, 20, 11),
        actor=STAFF,
        now=utcnow(),
    )
    assert (offer.offered_by, offer.provider, offer.status) == ("staff", world.blake, "open")
    book(world, at(world, 20, 13), provider=world.blake)
    with pytest.raises(errors.SlotUnavailable):
        wl.waitlist_offer_by_hand(
            business=world.business,
            entry_id=entry.pk,
            provider_id=world.blake.pk,
            start=at(world, 20, 13),
            actor=STAFF,
            now=utcnow(),
        )


def test_staff_cannot_offer_to_another_business_entry(page, world, other_world):
    entry = join(page, world)
    with pytest.raises(errors.NotFound):
        wl.waitlist_offer_by_hand(
            business=other_world.business,
            entry_id=entry.pk,
            provider_id=other_world.alex.pk,
            start=at(world, 20, 11),
            actor=STAFF,
            now=utcnow(),
        )


def test_deleted_time_off_and_longer_hours_free_time(page, world):
    join(page, world)
    off = catalog.time_off_create(
        business=world.business, provider=world.alex, start=at(world, 20, 9), end=at(world, 20, 17)
    )
    catalog.time_off_delete(business=world.business, provider_id=world.alex.pk, time_off_id=off.pk)
    assert FreedTime.objects.get(reason="time_off").start == at(world, 20, 9)
    catalog.working_hours_set(
        business=world.business,
        provider=world.alex,
        intervals=[(d, time(9), time(17)) for d in range(7)],
    )
    assert not FreedTime.objects.filter(reason="hours").exists()  # nothing grew
    catalog.working_hours_set(
        business=world.business,
        provider=world.alex,
        intervals=[(d, time(8), time(18)) for d in range(7)],
    )
    assert FreedTime.objects.filter(reason="hours").exists()
    assert not TimeOff.objects.exists()


def test_settings_are_checked(world):
    assert wl.waitlist_settings_of(world.business).mode == "one_at_a_time"
    with pytest.raises(errors.InvalidInput):
        wl.waitlist_settings_set(business=world.business, mode="lottery", hold_minutes=30)
    with pytest.raises(errors.InvalidInput):
        wl.waitlist_settings_set(business=world.business, mode="notify_all", hold_minutes=1)
    set_mode(world, "notify_all", 15)
    assert WaitlistSettings.objects.get(business=world.business).hold_minutes == 15


def test_window_rules_are_pure():
    from zoneinfo import ZoneInfo

    from slotwise.bookings import waitlist as rules

    tz = ZoneInfo("Europe/Berlin")
    (w,) = rules.windows_checked(
        [{"start": "2030-01-20T09:00", "end": "2030-01-22T12:00"}], today=date(2030, 1, 16)
    )
    assert (w.start, w.until) == (time(9), time(12))
    assert rules.Window.from_json(w.as_json()) == w
    inside = datetime(2030, 1, 21, 10, tzinfo=tz)
    assert rules.suits([w], start=inside, end=inside + timedelta(hours=1), tz=tz)
    assert not rules.suits([w], start=inside, end=inside + timedelta(hours=3), tz=tz)
    assert not rules.suits([w], start=inside - timedelta(hours=2), end=inside, tz=tz)
    assert (
        rules.first_suitable(
            [(inside, inside + timedelta(hours=1))], windows=[w], tz=tz, before=inside
        )
        is None
    )
    with pytest.raises(errors.InvalidInput):
        rules.windows_checked([{"start": "2030-01-20"}] * 11, today=date(2030, 1, 16))
    with pytest.raises(errors.InvalidInput):
        rules.windows_checked(
            [{"start": "2030-01-20", "end": "2031-06-20"}], today=date(2030, 1, 16)
        )
    with pytest.raises(errors.InvalidInput):
        rules.windows_checked(["x"], today=date(2030, 1, 16))
    assert rules.last_window_day([w]) == date(2030, 1, 22)


def test_a_freed_time_that_fails_to_match_stays_pending_and_others_go_on(page, world, monkeypatch):
    join(page, world)
    first, second = book(world, at(world, 20, 10)), book(world, at(world, 20, 14))
    cancel(first), cancel(second)
    real = wl._offer_freed
    broken = FreedTime.objects.order_by("pk").first()

    def offer_or_fail(freed, *, now):
        if freed.pk == broken.pk:
            raise ValueError("a bug")
        return real(freed, now=now)

    monkeypatch.setattr(wl, "_offer_freed", offer_or_fail)
    assert wl.waitlist_process_freed(now=utcnow()) == 1
    broken.refresh_from_db()
    assert broken.processed_at is None
    assert WaitlistOffer.objects.get().start == at(world, 20, 14)
