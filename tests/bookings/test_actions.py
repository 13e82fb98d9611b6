"""Booking actions: state, history, outbox effects, and refusals that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent, Payment
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.catalog.models import TimeOff
from slotwise.notifications.models import Message, ReminderRule
from tests import factories
from tests.bookings.helpers import refused

CUSTOMER = Actor.customer("Casey")
STAFF = Actor.system("front desk")
BOTH = SelfServicePolicy(allow_cancel=True, allow_reschedule=True, change_deadline_minutes=1440)


def at(world, day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in June 2030 (3 June is a Monday), in the business's zone."""
    return factories.local(world.business, 2030, 6, day, hour, minute)


def book(world, start, policy=BOTH, provider=None, **kw):
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=provider or world.alex,
        customer=world.customer,
        start=start,
        policy=policy,
        **kw,
    )


def kinds(booking) -> list[tuple[str, str, str]]:
    return sorted((m.kind, m.audience, m.status) for m in Message.objects.filter(booking=booking))


# --- create -----------------------------------------------------------------------------


def test_custom_booking_snapshots_policy_and_queues_its_effects(world):
    now = at(world, 1, 12)
    booking = book(world, at(world, 4, 10), now=now, notes="Short fringe")
    booking.refresh_from_db()
    assert booking.reference.startswith("SW-") and len(booking.reference) == 9
    assert booking.source == Booking.Source.CUSTOM
    assert (booking.allow_cancel, booking.allow_reschedule, booking.change_deadline_minutes) == (
        True,
        True,
        1440,
    )
    assert booking.end - booking.start == timedelta(minutes=60)
    assert booking.blocked_end - booking.end == timedelta(minutes=15)  # the service's buffer
    assert booking.price == Decimal("40.00") and booking.notes == "Short fringe"
    event = booking.events.get()
    assert event.kind == BookingEvent.Kind.CREATED and event.actor_kind == "system"
    assert kinds(booking) == [
        ("confirmation", "customer", "queued"),
        ("reminder", "customer", "queued"),
        ("staff_created", "provider", "queued"),
    ]
    reminder = Message.objects.get(booking=booking, kind="reminder")
    assert reminder.due_at == booking.start - timedelta(hours=24)


def test_custom_booking_without_notification_still_gets_reminders(world):
    booking = book(world, at(world, 4, 10), notify_customer=False)
    assert ("confirmation", "customer", "queued") not in kinds(booking)
    assert Message.objects.filter(booking=booking, kind="reminder").count() == 1


def test_reminder_already_past_is_not_scheduled(world):
    booking = book(world, at(world, 4, 10), now=at(world, 3, 12))
    assert not Message.objects.filter(booking=booking, kind="reminder").exists()


def test_custom_booking_outside_hours_is_refused_unless_overridden(world):
    with refused("slot_unavailable"):
        book(world, at(world, 4, 7))
    booking = book(world, at(world, 4, 7), override_availability=True)
    assert booking.events.get().new["override_availability"] is True


def test_override_never_allows_a_double_booking(world):
    book(world, at(world, 4, 10))
    with refused("slot_unavailable"):
        book(world, at(world, 4, 10, 30), override_availability=True)
    # The first booking's 15-minute buffer after 11:00 is part of its blocked time.
    with refused("slot_unavailable"):
        book(world, at(world, 4, 11, 10), override_availability=True)
    assert book(world, at(world, 4, 11, 15)).start == at(world, 4, 11, 15)


def test_create_refuses_bad_input(world, other_world):
    with refused("invalid_input"):
        book(world, datetime(2030, 6, 4, 10, 0))  # naive
    with refused("invalid_input"):
        book(world, at(world, 4, 10), now=at(world, 5, 10))  # in the past
    other_service = factories.make_service(world.business, "Colour")
    with refused("invalid_input"):
        factories.custom_booking(
            world.business,
            service=other_service,
            provider=world.alex,
            customer=world.customer,
            start=at(world, 4, 10),
            policy=BOTH,
        )
    with refused("not_found"):
        factories.custom_booking(
            world.business,
            service=world.service,
            provider=world.alex,
            customer=other_world.customer,
            start=at(world, 4, 10),
            policy=BOTH,
        )


def test_time_off_blocks_staff_bookings(world):
    TimeOff.objects.create(provider=world.alex, start=at(world, 4, 0), end=at(world, 5, 0))
    with refused("slot_unavailable"):
        book(world, at(world, 4, 10))


def web_book(world, start, provider=None, now=None, email="dana@example.test"):
    return actions.booking_create_web(
        page=world.page,
        service=world.service,
        provider=provider,
        start=start,
        customer=actions.CustomerDetails("Dana", email, "+49 30 1234", "Europe/London"),
        now=now or at(world, 1, 9),
    )


def test_web_booking_copies_the_page_policy_at_that_moment(world):
    first, token = web_book(world, at(world, 4, 10), provider=world.alex)
    world.page.allow_cancel = False
    world.page.change_deadline_minutes = 120
    world.page.max_reschedules = 1
    world.page.save()
    second, _ = web_book(world, at(world, 4, 12), provider=world.alex)
    first.refresh_from_db()
    assert (first.allow_cancel, first.change_deadline_minutes, first.max_reschedules) == (
        True,
        1440,
        None,
    )
    assert (second.allow_cancel, second.change_deadline_minutes, second.max_reschedules) == (
        False,
        120,
        1,
    )
    assert first.source == "web" and first.booking_page == world.page
    assert actions.token_verify(raw=token, purpose="manage", now=at(world, 2, 9)) == first
    assert first.customer.timezone == "Europe/London"
    # The same email is the same customer.
    assert second.customer_id == first.customer_id


def test_web_booking_any_provider_takes_a_free_one(world):
    a, _ = web_book(world, at(world, 4, 10))
    b, _ = web_book(world, at(world, 4, 10), email="eve@example.test")
    assert {a.provider, b.provider} == {world.alex, world.blake}
    with refused("slot_unavailable"):
        web_book(world, at(world, 4, 10), email="fay@example.test")


def test_web_booking_follows_page_rules(world):
    world.page.min_notice_minutes = 24 * 60
    world.page.max_days_ahead = 10
    world.page.save()
    now = at(world, 3, 9)
    with refused("slot_unavailable"):
        web_book(world, at(world, 4, 8), world.alex, now=now)  # less than a day's notice
    with refused("slot_unavailable"):
        web_book(world, at(world, 14, 10), world.alex, now=now)  # beyond 10 days
    with refused("slot_unavailable"):
        web_book(world, at(world, 5, 10, 15), world.alex, now=now)  # off the 30-minute step
    assert web_book(world, at(world, 5, 10, 30), world.alex, now=now)[0].pk


def test_web_booking_validates_customer_details(world):
    with refused("invalid_input"):
        actions.booking_create_web(
            page=world.page,
            service=world.service,
            provider=world.alex,
            start=at(world, 4, 10),
            customer=actions.CustomerDetails("", "x@example.test"),
            now=at(world, 1, 9),
        )
    with refused("invalid_input"):
        actions.booking_create_web(
            page=world.page,
            service=world.service,
            provider=world.alex,
            start=at(world, 4, 10),
            customer=actions.CustomerDetails("Dana", "not-an-email"),
            now=at(world, 1, 9),
        )


# --- cancel -----------------------------------------------------------------------------


def cancel(booking, actor=CUSTOMER, now=None, **kw):
    return actions.booking_cancel(
        booking_id=booking.pk, actor=actor, now=now or booking.start - timedelta(days=2), **kw
    )


def test_customer_cancel_within_window(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    Payment.objects.create(
        business=world.business,
        booking=booking,
        amount=Decimal("40"),
        currency="EUR",
        method="card",
    )
    cancelled = cancel(booking, reason="Feeling ill", now=at(world, 5, 10))  # exactly 24 h before
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled" and cancelled.cancelled_by == "customer"
    assert cancelled.cancellation_reason == "Feeling ill" and cancelled.version == 2
    event = cancelled.events.get(kind="cancelled")
    assert event.actor_kind == "customer" and event.old["status"] == "confirmed"
    assert ("cancelled", "customer", "queued") in kinds(booking)
    assert ("staff_cancelled", "provider", "queued") in kinds(booking)
    assert ("staff_cancelled", "business", "queued") in kinds(booking)
    assert Message.objects.get(booking=booking, kind="reminder").status == "cancelled"
    payment = Payment.objects.get(booking=booking)
    assert (payment.amount, payment.status) == (Decimal("40.00"), "paid")
    # The slot is free again.
    assert book(world, at(world, 6, 10)).provider == world.alex


def test_customer_cancel_refusals_change_nothing(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    with refused("change_window_closed"):
        cancel(booking, now=at(world, 5, 10) + timedelta(seconds=1))
    with refused("already_started"):
        cancel(booking, now=at(world, 6, 10))
    no_cancel = book(
        world,
        at(world, 7, 10),
        policy=SelfServicePolicy(allow_reschedule=True),
        now=at(world, 1, 9),
    )
    with refused("not_allowed"):
        cancel(no_cancel)
    cancel(booking)
    with refused("invalid_state"):
        cancel(booking)  # a double submit acts once


def test_staff_cancel_ignores_customer_policy(world):
    booking = book(world, at(world, 6, 10), policy=SelfServicePolicy.off(), now=at(world, 1, 9))
    cancel(booking, actor=STAFF, now=at(world, 6, 9), notify_customer=False)
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_by == "system"
    assert ("cancelled", "customer", "queued") not in kinds(booking)


def test_stale_version_is_refused(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    with refused("stale_booking"):
        cancel(booking, expected_version=booking.version + 1)


# --- reschedule -------------------------------------------------------------------------


def reschedule(booking, start, actor=CUSTOMER, now=None, **kw):
    return actions.booking_reschedule(
        booking_id=booking.pk,
        actor=actor,
        new_start=start,
        now=now or factories.local(booking.business, 2030, 6, 1, 9),
        **kw,
    )


def test_customer_reschedule_moves_in_place_with_history_and_reminders(world):
    ReminderRule.objects.create(business=world.business, minutes_before=120)
    booking = web_book(world, at(world, 6, 10), world.alex)[0]
    ref, pk = booking.reference, booking.pk
    moved = actions.booking_reschedule(
        booking_id=pk, actor=CUSTOMER, new_start=at(world, 7, 14), now=at(world, 2, 9)
    )
    moved.refresh_from_db()
    assert (moved.pk, moved.reference) == (pk, ref)
    assert moved.start == at(world, 7, 14) and moved.reschedule_count == 1 and moved.version == 2
    event = moved.events.get(kind="rescheduled")
    assert event.old["start"] == at(world, 6, 10).astimezone(UTC).isoformat()
    assert event.new["start"] == at(world, 7, 14).astimezone(UTC).isoformat()
    due = sorted(
        Message.objects.filter(booking=moved, kind="reminder").values_list("due_at", "status")
    )
    assert due == [
        (at(world, 6, 14).astimezone(UTC), "queued"),
        (at(world, 7, 12).astimezone(UTC), "queued"),
    ]
    assert ("rescheduled", "customer", "queued") in kinds(moved)
    assert ("staff_rescheduled", "provider", "queued") in kinds(moved)


def test_reschedule_drops_reminders_now_in_the_past(world):
    booking = web_book(world, at(world, 8, 10), world.alex)[0]
    actions.booking_reschedule(
        booking_id=booking.pk, actor=CUSTOMER, new_start=at(world, 6, 10), now=at(world, 5, 12)
    )
    reminder = Message.objects.get(booking=booking, kind="reminder")
    assert reminder.status == "cancelled"


def test_customer_reschedule_rules(world):
    booking = web_book(world, at(world, 6, 10), world.alex)[0]
    book(world, at(world, 7, 10), provider=world.alex)  # Alex is busy from 10:00 on day 7
    with refused("slot_unavailable"):
        reschedule(booking, at(world, 7, 10, 30))  # provider busy
    with refused("slot_unavailable"):
        reschedule(booking, at(world, 7, 20))  # outside hours
    with refused("change_window_closed"):
        reschedule(booking, at(world, 7, 14), now=at(world, 5, 11))
    # Another provider is fine where the page allows "any provider" ...
    moved = reschedule(booking, at(world, 7, 10), new_provider=world.blake)
    assert moved.provider == world.blake
    kinds_now = kinds(moved)
    assert ("staff_reassigned_away", "provider", "queued") in kinds_now
    # ... and refused where it does not.
    world.page.any_provider = False
    world.page.save()
    with refused("not_allowed"):
        reschedule(booking, at(world, 8, 10), new_provider=world.alex)


def test_reschedule_cap(world):
    world.page.max_reschedules = 1
    world.page.save()
    booking = web_book(world, at(world, 6, 10), world.alex)[0]
    reschedule(booking, at(world, 6, 12))
    with refused("reschedule_limit_reached"):
        reschedule(booking, at(world, 6, 14))
    # Staff may still move it, and that does not count against the customer.
    moved = reschedule(booking, at(world, 6, 14), actor=STAFF)
    assert moved.reschedule_count == 1


def test_custom_booking_reschedule_uses_business_rules(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    with refused("slot_unavailable"):
        reschedule(booking, at(world, 6, 10, 7))  # off the business's 15-minute step
    assert reschedule(booking, at(world, 6, 10, 15)).start == at(world, 6, 10, 15)


def test_staff_reschedule_of_cancelled_booking_is_refused(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    cancel(booking, actor=STAFF)
    with refused("invalid_state"):
        reschedule(booking, at(world, 6, 12), actor=STAFF)


# --- complete, no-show, rate, clone, payments ---------------------------------------------


def test_complete_queues_rating_request_and_rating_is_once(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    with refused("invalid_state"):
        actions.booking_complete(booking_id=booking.pk, actor=STAFF, now=at(world, 6, 9))
    actions.booking_complete(booking_id=booking.pk, actor=STAFF, now=at(world, 6, 11))
    assert ("rating_request", "customer", "queued") in kinds(booking)
    rating = actions.booking_rate(
        booking_id=booking.pk, stars=5, comment="Great", now=at(world, 6, 12)
    )
    assert rating.stars == 5
    with refused("already_rated"):
        actions.booking_rate(booking_id=booking.pk, stars=1, comment="", now=at(world, 6, 13))
    with refused("invalid_input"):
        actions.booking_rate(booking_id=booking.pk, stars=6, comment="", now=at(world, 6, 13))


def test_no_show_cancels_reminders(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    actions.booking_mark_no_show(booking_id=booking.pk, actor=STAFF, now=at(world, 6, 11))
    booking.refresh_from_db()
    assert booking.status == "no_show"
    with refused("not_allowed"):
        actions.booking_complete(booking_id=booking.pk, actor=CUSTOMER, now=at(world, 6, 11))


def test_clone_only_cancelled_and_prefilled(world):
    booking = book(
        world,
        at(world, 6, 10),
        now=at(world, 1, 9),
        notes="Allergic to latex",
        price=Decimal("55.00"),
    )
    with pytest.raises(Exception) as info:
        actions.clone_prefill(booking)
    assert info.value.code == "invalid_state"
    cancel(booking, actor=STAFF)
    booking.refresh_from_db()
    prefill = actions.clone_prefill(booking)
    assert prefill["notes"] == "Allergic to latex" and prefill["price"] == Decimal("55.00")
    clone = actions.booking_clone(
        booking_id=booking.pk,
        business_id=world.business.pk,
        actor=STAFF,
        start=at(world, 6, 10),
        policy=SelfServicePolicy(allow_cancel=True, change_deadline_minutes=60),
        now=at(world, 2, 9),
    )
    assert clone.cloned_from == booking and clone.pk != booking.pk
    assert (clone.customer, clone.service, clone.provider) == (
        booking.customer,
        booking.service,
        booking.provider,
    )
    assert (clone.allow_cancel, clone.allow_reschedule, clone.change_deadline_minutes) == (
        True,
        False,
        60,
    )
    assert clone.notes == "Allergic to latex" and clone.price == Decimal("55.00")


def test_payment_record(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    with refused("invalid_input"):
        actions.payment_record(
            booking_id=booking.pk,
            business_id=world.business.pk,
            actor=STAFF,
            amount=Decimal("-1"),
            method="card",
            now=at(world, 2, 9),
        )
    payment = actions.payment_record(
        booking_id=booking.pk,
        business_id=world.business.pk,
        actor=STAFF,
        amount=Decimal("40"),
        method="cash",
        now=at(world, 2, 9),
    )
    assert payment.currency == "EUR"
    assert booking.events.filter(kind="payment_recorded").exists()


# --- tokens -----------------------------------------------------------------------------


def test_tokens_are_hashed_and_scoped_by_purpose(world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    raw = actions.token_issue(booking=booking, purpose="manage", now=at(world, 1, 9))
    assert len(raw) >= 43  # 256 bits, URL-safe base64
    row = booking.tokens.get()
    assert raw not in row.token_hash and len(row.token_hash) == 64
    now = at(world, 2, 9)
    assert actions.token_verify(raw=raw, purpose="manage", now=now) == booking
    assert actions.token_verify(raw=raw, purpose="rate", now=now) is None
    assert (
        actions.token_verify(
            raw=raw[:-1] + ("A" if raw[-1] != "A" else "B"), purpose="manage", now=now
        )
        is None
    )
    assert actions.token_verify(raw="../../etc", purpose="manage", now=now) is None
    assert actions.token_verify(raw="", purpose="manage", now=now) is None
    assert (
        actions.token_verify(raw=raw, purpose="manage", now=booking.end + timedelta(days=61))
        is None
    )


# --- tenancy ----------------------------------------------------------------------------


def test_actions_scoped_to_business(world, other_world):
    booking = book(world, at(world, 6, 10), now=at(world, 1, 9))
    with refused("not_found"):
        actions.booking_cancel(
            booking_id=booking.pk,
            actor=STAFF,
            now=at(world, 2, 9),
            business_id=other_world.business.pk,
        )
    with refused("not_found"):
        actions.booking_reschedule(
            booking_id=booking.pk,
            actor=STAFF,
            new_start=at(world, 6, 12),
            now=at(world, 2, 9),
            business_id=other_world.business.pk,
        )
    with refused("not_found"):
        actions.payment_record(
            booking_id=booking.pk,
            business_id=other_world.business.pk,
            actor=STAFF,
            amount=Decimal("1"),
            method="cash",
            now=at(world, 2, 9),
        )
    with refused("not_found"):
        factories.custom_booking(
            world.business,
            service=other_world.service,
            provider=other_world.alex,
            customer=world.customer,
            start=at(world, 6, 12),
            policy=BOTH,
        )
    # Providers with the same name in another business never block this one.
    assert factories.custom_booking(
        other_world.business,
        service=other_world.service,
        provider=other_world.alex,
        customer=other_world.customer,
        start=at(other_world, 6, 10),
        policy=BOTH,
    ).pk


def test_working_hours_several_intervals(world):
    lunch = factories.make_provider(
        world.business, "Lee", [world.service], hours=((time(9), time(12)), (time(13), time(17)))
    )
    with refused("slot_unavailable"):
        book(world, at(world, 4, 11, 30), provider=lunch)
    assert book(world, at(world, 4, 13), provider=lunch).pk


def test_work_passed_as_also_commits_with_the_booking_or_not_at_all(world):
    from slotwise.core import errors

    seen = []
    booking = book(world, at(world, 4, 10), also=lambda made: seen.append(made.reference))
    assert seen == [booking.reference]

    def fail(made):
        raise errors.InvalidInput("the caller's own step failed")

    with refused("invalid_input"):
        book(world, at(world, 4, 12), also=fail)
