"""Staff actions from the booking pages: each goes through the action and shows its effect."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.urls import reverse

from slotwise.bookings.actions import booking_cancel, payment_record
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent, Payment
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message


def url(name, booking):
    return reverse(f"backoffice:{name}", args=[booking.reference])


def kinds(booking):
    return set(Message.objects.filter(booking=booking).values_list("kind", flat=True))


def test_detail_shows_everything(staff_client, booking, world):
    body = staff_client.get(url("booking_detail", booking)).content.decode()
    assert booking.reference in body
    assert "Casey" in body and "Haircut" in body and "Alex" in body
    assert "Europe/Berlin" in body  # business zone
    assert "America/New_York" in body  # the customer's time, too
    assert "read-only" in body and "cannot cancel or reschedule online" in body
    assert "Reminders" in body and "Due" in body  # the 24-hour reminder rule
    assert "History" in body and "Created" in body


def test_detail_shows_policy_snapshot_and_deadline(staff_client, world):
    from slotwise.bookings.policy import SelfServicePolicy
    from tests import factories
    from tests.backoffice.conftest import future_monday

    b = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=future_monday(world),
        now=utcnow(),
        policy=SelfServicePolicy(
            allow_cancel=True, allow_reschedule=False, change_deadline_minutes=2880
        ),
    )
    body = staff_client.get(url("booking_detail", b)).content.decode()
    assert "until 48 hours before the appointment" in body
    assert "Not allowed" in body and "Possible now" in body
    assert "<form" not in body.split('id="h-policy"')[1].split("</section>")[0]


def test_staff_cancel_with_notification(staff_client, booking, staff_user):
    response = staff_client.post(
        url("booking_cancel", booking),
        {"version": booking.version, "reason": "Provider ill", "notify_customer": "on"},
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancelled_by == "staff" and booking.cancellation_reason == "Provider ill"
    event = booking.events.get(kind=BookingEvent.Kind.CANCELLED)
    assert event.actor_user == staff_user
    assert Message.Kind.CANCELLED in kinds(booking)
    assert not Message.objects.filter(
        booking=booking, kind=Message.Kind.REMINDER, status__in=Message.PENDING
    ).exists()


def test_staff_cancel_without_notification(staff_client, booking):
    staff_client.post(url("booking_cancel", booking), {"version": booking.version})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Message.Kind.CANCELLED not in kinds(booking)


def test_cancel_form_has_notify_ticked_by_default(staff_client, booking):
    body = staff_client.get(url("booking_cancel", booking)).content.decode()
    assert 'name="notify_customer" id="id_notify_customer" checked' in body


def test_stale_version_is_refused_with_a_message(staff_client, booking):
    response = staff_client.post(
        url("booking_cancel", booking), {"version": booking.version + 5, "reason": "x"}
    )
    assert response.status_code == 200
    assert "changed meanwhile" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_staff_reschedule_to_a_free_slot(staff_client, booking, world):
    new_start = booking.start + timedelta(hours=3)
    page = staff_client.get(url("booking_reschedule", booking)).content.decode()
    assert f'value="{new_start.isoformat()}"' in page
    assert 'name="notify_customer" id="id_notify_customer" checked' in page
    response = staff_client.post(
        url("booking_reschedule", booking),
        {
            "version": booking.version,
            "provider": world.alex.pk,
            "slot": new_start.isoformat(),
            "notify_customer": "on",
        },
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.start == new_start
    event = booking.events.get(kind=BookingEvent.Kind.RESCHEDULED)
    assert event.actor_kind == "staff"
    assert Message.Kind.RESCHEDULED in kinds(booking)
    reminder = Message.objects.get(booking=booking, kind=Message.Kind.REMINDER)
    assert reminder.due_at == new_start - timedelta(hours=24)


def test_staff_reschedule_to_another_provider_without_notifying(staff_client, booking, world):
    new_start = booking.start + timedelta(hours=1)
    staff_client.post(
        url("booking_reschedule", booking),
        {"version": booking.version, "provider": world.blake.pk, "slot": new_start.isoformat()},
    )
    booking.refresh_from_db()
    assert booking.provider == world.blake and booking.start == new_start
    assert Message.Kind.RESCHEDULED not in kinds(booking)


def test_reschedule_outside_hours_needs_the_override(staff_client, booking, world):
    evening = booking.start.astimezone(world.business.tz).replace(hour=19)
    data = {"version": booking.version, "provider": world.alex.pk}
    refused = staff_client.post(
        url("booking_reschedule", booking), {**data, "slot": evening.isoformat()}
    )
    assert refused.status_code == 200
    assert "no longer available" in refused.content.decode()
    ok = staff_client.post(
        url("booking_reschedule", booking),
        {
            **data,
            "override": "on",
            "override_date": evening.date().isoformat(),
            "override_time": "19:00",
        },
    )
    assert ok.status_code == 302
    booking.refresh_from_db()
    assert booking.start == evening.astimezone(UTC)


def test_complete_and_no_show(staff_client, past_booking, world):
    from tests import factories

    response = staff_client.post(url("booking_complete", past_booking))
    assert response.status_code == 302
    past_booking.refresh_from_db()
    assert past_booking.status == Booking.Status.COMPLETED
    assert Message.Kind.RATING_REQUEST in kinds(past_booking)

    start = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    other = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        now=start - timedelta(days=1),
        override_availability=True,
    )
    staff_client.post(url("booking_no_show", other))
    other.refresh_from_db()
    assert other.status == Booking.Status.NO_SHOW


def test_complete_before_start_is_refused_with_a_message(staff_client, booking):
    response = staff_client.post(url("booking_complete", booking), follow=True)
    assert "has not ended yet" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_complete_asks_for_confirmation_first(staff_client, past_booking):
    for name, button in (
        ("booking_complete", "Mark completed"),
        ("booking_no_show", "Mark no-show"),
    ):
        page = staff_client.get(url(name, past_booking))
        assert page.status_code == 200
        body = page.content.decode()
        assert f">{button}</button>" in body and "undo this for 10 minutes" in body
        past_booking.refresh_from_db()
        assert past_booking.status == Booking.Status.CONFIRMED  # a GET changes nothing
        assert Message.Kind.RATING_REQUEST not in kinds(past_booking)


def test_close_confirmation_of_a_running_appointment_says_why_not(staff_client, world):
    from tests import factories

    start = (utcnow() - timedelta(minutes=20)).replace(second=0, microsecond=0)
    running = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=start,
        now=start - timedelta(days=1),
        override_availability=True,
    )
    body = staff_client.get(url("booking_complete", running)).content.decode()
    assert "has not ended yet" in body and ">Mark completed</button>" not in body
    detail = staff_client.get(url("booking_detail", running)).content.decode()
    assert "once the appointment has ended" in detail and "Mark completed" not in detail
    staff_client.post(url("booking_complete", running))
    running.refresh_from_db()
    assert running.status == Booking.Status.CONFIRMED


def test_undo_completed_from_the_detail_page(staff_client, past_booking):
    staff_client.post(url("booking_complete", past_booking))
    detail = staff_client.get(url("booking_detail", past_booking)).content.decode()
    assert "Undo “completed”" in detail and "You can undo this until" in detail
    response = staff_client.post(url("booking_close_undo", past_booking), follow=True)
    assert "confirmed again" in response.content.decode()
    past_booking.refresh_from_db()
    assert past_booking.status == Booking.Status.CONFIRMED
    statuses = set(
        Message.objects.filter(booking=past_booking, kind=Message.Kind.RATING_REQUEST).values_list(
            "status", flat=True
        )
    )
    assert statuses == {Message.Status.CANCELLED}
    assert "Closing undone" in response.content.decode()


def test_undo_needs_post(staff_client, past_booking):
    assert staff_client.get(url("booking_close_undo", past_booking)).status_code == 405


def test_record_payment_and_refund(staff_client, booking, staff_user):
    staff_client.post(
        url("payment_add", booking), {"amount": "40.00", "method": "card", "status": "paid"}
    )
    staff_client.post(
        url("payment_add", booking),
        {"amount": "10.00", "method": "card", "status": "refunded", "note": "goodwill"},
    )
    payments = list(booking.payments.order_by("pk"))
    assert [(str(p.amount), p.status) for p in payments] == [
        ("40.00", "paid"),
        ("10.00", "refunded"),
    ]
    assert payments[0].recorded_by == staff_user
    body = staff_client.get(url("booking_detail", booking)).content.decode()
    assert "30.00" not in body or "goodwill" in body
    assert "goodwill" in body


def test_invalid_payment_shows_errors(staff_client, booking):
    response = staff_client.post(url("payment_add", booking), {"amount": "-5", "method": "cash"})
    assert response.status_code == 422
    assert not Payment.objects.exists()


def test_cancelled_booking_with_payments_shows_the_refund_note(staff_client, booking):
    payment_record(
        booking_id=booking.pk,
        business_id=booking.business_id,
        actor=Actor.system("t"),
        amount=booking.price,
        method="cash",
        now=utcnow(),
    )
    booking_cancel(booking_id=booking.pk, actor=Actor.system("t"), now=utcnow())
    body = staff_client.get(url("booking_detail", booking)).content.decode()
    assert "Payments are not changed by a cancellation." in body
    assert "must be handled separately" in body
    assert booking.payments.get().status == Payment.Status.PAID


def test_cancelled_booking_without_payments_has_no_refund_note(staff_client, booking):
    booking_cancel(booking_id=booking.pk, actor=Actor.system("t"), now=utcnow())
    body = staff_client.get(url("booking_detail", booking)).content.decode()
    assert "must be handled separately" not in body
    assert url("booking_clone", booking) in body


def test_cancel_page_warns_about_payments(staff_client, booking):
    payment_record(
        booking_id=booking.pk,
        business_id=booking.business_id,
        actor=Actor.system("t"),
        amount=booking.price,
        method="cash",
        now=utcnow(),
    )
    body = staff_client.get(url("booking_cancel", booking)).content.decode()
    assert "Cancelling does not refund or charge anything" in body


def test_reschedule_of_a_cancelled_booking_shows_the_rule_and_changes_nothing(
    staff_client, booking, world
):
    booking_cancel(booking_id=booking.pk, actor=Actor.system(), now=utcnow())
    booking.refresh_from_db()
    response = staff_client.post(
        url("booking_reschedule", booking),
        {
            "version": booking.version,
            "provider": world.alex.pk,
            "slot": (booking.start + timedelta(hours=3)).isoformat(),
            "notify_customer": "on",
        },
    )
    assert response.status_code == 200
    assert "can no longer be rescheduled" in response.content.decode()
    before = booking.start
    booking.refresh_from_db()
    assert booking.start == before and booking.status == "cancelled"


def test_complete_buttons_follow_the_close_rule(staff_client, booking, world):
    page = staff_client.get(url("booking_detail", booking)).content.decode()
    assert "Mark completed" not in page
    assert "once the appointment has ended" in page
