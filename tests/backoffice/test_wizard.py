"""The custom booking wizard: self-service on or off decides exactly what the email offers."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import time_machine
from django.urls import reverse

from slotwise.bookings.actions import booking_cancel
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.catalog.models import Customer
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests.backoffice.conftest import future_monday
from tests.backoffice.helpers import confirmation_text, post_ok, run_wizard, step

OFF = {"allowed": "no", "change_deadline_minutes": "1440"}


def _wizard(client, world, selfservice, **kw):
    return run_wizard(
        client,
        customer_id=world.customer.pk,
        service_id=world.service.pk,
        provider_id=world.alex.pk,
        start=kw.pop("start", future_monday(world)),
        selfservice=selfservice,
        **kw,
    )


@pytest.mark.parametrize(
    ("allow_cancel", "allow_reschedule"), [(True, True), (True, False), (False, True)]
)
def test_self_service_on_email_offers_exactly_the_allowed_options(
    staff_client, world, staff_user, allow_cancel, allow_reschedule
):
    data = {"allowed": "yes", "change_deadline_minutes": "1440", "max_reschedules": "1"}
    if allow_cancel:
        data["allow_cancel"] = "on"
    if allow_reschedule:
        data["allow_reschedule"] = "on"
    booking = _wizard(staff_client, world, data)

    assert booking.source == Booking.Source.CUSTOM
    assert (booking.allow_cancel, booking.allow_reschedule) == (allow_cancel, allow_reschedule)
    assert booking.change_deadline_minutes == 1440
    assert booking.max_reschedules == 1
    assert str(booking.price) == "55.00" and booking.notes == "Prefers the window seat"
    created = booking.events.get(kind=BookingEvent.Kind.CREATED)
    assert created.actor_kind == "staff" and created.actor_user == staff_user

    text = confirmation_text(booking, utcnow())
    assert ("Cancel booking: " in text) is allow_cancel
    assert ("Reschedule: " in text) is allow_reschedule
    assert "/manage/" in text


def test_self_service_off_email_has_no_options(staff_client, world):
    booking = _wizard(staff_client, world, OFF)
    assert not booking.allow_cancel and not booking.allow_reschedule
    text = confirmation_text(booking, utcnow())
    assert "/cancel/" not in text and "/reschedule/" not in text
    assert "Cancel booking" not in text and "Reschedule:" not in text
    assert "View booking" in text  # the booking itself is always linked


def test_yes_without_any_option_is_refused(staff_client, world):
    staff_client.get(reverse("backoffice:wizard_start"))
    post_ok(staff_client, step("customer"), {"action": "pick", "customer": world.customer.pk})
    post_ok(staff_client, step("service"), {"service": world.service.pk, "provider": world.alex.pk})
    post_ok(staff_client, step("time"), {"slot": future_monday(world).isoformat()})
    post_ok(staff_client, step("details"), {"price": "40", "notes": ""})
    response = staff_client.post(
        step("selfservice"), {"allowed": "yes", "change_deadline_minutes": "1440"}
    )
    assert response.status_code == 200
    assert "Tick cancel, reschedule or both" in response.content.decode()


def test_steps_cannot_be_skipped(staff_client, world):
    staff_client.get(reverse("backoffice:wizard_start"))
    response = staff_client.get(step("review"))
    assert response.status_code == 302 and response["Location"].endswith("/new/customer/")


def test_new_customer_is_created_in_the_wizard(staff_client, world):
    staff_client.get(reverse("backoffice:wizard_start"))
    post_ok(
        staff_client,
        step("customer"),
        {
            "action": "create",
            "name": "Dana Fox",
            "email": "Dana@Example.test",
            "phone": "+49 1",
            "timezone": "Europe/London",
        },
    )
    dana = Customer.objects.get(business=world.business, email="dana@example.test")
    assert dana.timezone == "Europe/London"
    response = staff_client.get(step("service"))
    assert "Dana Fox" in response.content.decode()


def test_customer_search_finds_only_this_business(staff_client, world, other_world):
    response = staff_client.get(step("customer") + "?q=casey")
    body = response.content.decode()
    assert f'value="{world.customer.pk}"' in body
    assert f'value="{other_world.customer.pk}"' not in body
    # Picking the other business's customer by id is refused.
    staff_client.post(step("customer"), {"action": "pick", "customer": other_world.customer.pk})
    assert "customer_id" not in staff_client.session.get("backoffice_wizard", {})


def test_provider_must_offer_the_service(staff_client, world):
    from tests import factories

    other = factories.make_service(world.business, "Colour")
    staff_client.get(reverse("backoffice:wizard_start"))
    post_ok(staff_client, step("customer"), {"action": "pick", "customer": world.customer.pk})
    response = staff_client.post(step("service"), {"service": other.pk, "provider": world.alex.pk})
    assert response.status_code == 200
    assert "does not offer" in response.content.decode()


def test_override_books_outside_hours_with_warning_and_history(staff_client, world):
    start = future_monday(world).replace(hour=20)  # working hours end at 17:00
    response = staff_client.get(step("time"))  # nothing chosen yet: redirected
    booking = _wizard(staff_client, world, OFF, start=start, override=True)
    assert booking.start == start.astimezone(UTC)
    assert booking.events.get(kind="created").new["override_availability"] is True
    detail = staff_client.get(reverse("backoffice:booking_detail", args=[booking.reference]))
    assert "override" in detail.content.decode()
    assert response.status_code == 302


def test_time_outside_hours_without_override_is_refused_at_the_end(staff_client, world):
    start = future_monday(world).replace(hour=20)
    staff_client.get(reverse("backoffice:wizard_start"))
    post_ok(staff_client, step("customer"), {"action": "pick", "customer": world.customer.pk})
    post_ok(staff_client, step("service"), {"service": world.service.pk, "provider": world.alex.pk})
    post_ok(staff_client, step("time"), {"slot": start.isoformat()})
    post_ok(staff_client, step("details"), {"price": "40", "notes": ""})
    post_ok(staff_client, step("selfservice"), OFF)
    response = staff_client.post(step("review"), {"notify_customer": "on"})
    assert response.status_code == 200
    assert "no longer available" in response.content.decode()
    assert not Booking.objects.exists()


def test_never_double_books_even_with_override(staff_client, world, booking):
    staff_client.get(reverse("backoffice:wizard_start"))
    post_ok(staff_client, step("customer"), {"action": "pick", "customer": world.customer.pk})
    post_ok(staff_client, step("service"), {"service": world.service.pk, "provider": world.alex.pk})
    local = booking.start.astimezone(world.business.tz)
    post_ok(
        staff_client,
        step("time"),
        {
            "override": "on",
            "override_date": local.date().isoformat(),
            "override_time": local.strftime("%H:%M"),
        },
    )
    post_ok(staff_client, step("details"), {"price": "40", "notes": ""})
    post_ok(staff_client, step("selfservice"), OFF)
    response = staff_client.post(step("review"), {})
    assert "no longer available" in response.content.decode()
    assert Booking.objects.count() == 1


def test_slot_picker_lists_free_times_only(staff_client, world, booking):
    staff_client.get(reverse("backoffice:wizard_start"))
    post_ok(staff_client, step("customer"), {"action": "pick", "customer": world.customer.pk})
    post_ok(staff_client, step("service"), {"service": world.service.pk, "provider": world.alex.pk})
    day = booking.start.astimezone(world.business.tz).date()
    body = staff_client.get(step("time") + f"?day={day.isoformat()}").content.decode()
    # Each time is "<provider>@<start>": Alex's is taken, Blake (same service) is free then.
    alex, blake = world.alex.pk, world.blake.pk
    assert f'value="{alex}@{booking.start.isoformat()}"' not in body  # taken
    assert f'value="{blake}@{booking.start.isoformat()}"' in body
    free = (booking.start + timedelta(hours=2)).isoformat()
    assert f'value="{alex}@{free}"' in body


def test_no_notification_when_staff_unticks_it(staff_client, world):
    booking = _wizard(staff_client, world, OFF, notify=False)
    assert not Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION).exists()


# --- clone ------------------------------------------------------------------------------


def test_clone_prefills_and_creates_a_linked_booking(staff_client, world, booking):
    booking.notes = "Bring the old photo"
    booking.save(update_fields=["notes"])
    booking_cancel(booking_id=booking.pk, actor=Actor.system("test"), now=utcnow())

    response = staff_client.get(reverse("backoffice:booking_clone", args=[booking.reference]))
    assert response.status_code == 302 and response["Location"].endswith("/new/time/")
    state = staff_client.session["backoffice_wizard"]
    assert state["customer_id"] == world.customer.pk
    assert state["service_id"] == world.service.pk
    assert state["provider_id"] == world.alex.pk
    assert state["notes"] == "Bring the old photo"
    assert state["price"] == "40.00"
    assert state["cloned_from"] == booking.reference

    new_start = booking.start + timedelta(days=1)
    post_ok(staff_client, step("time"), {"slot": new_start.isoformat()})
    details = staff_client.get(step("details")).content.decode()
    assert "Bring the old photo" in details and 'value="40.00"' in details
    post_ok(staff_client, step("details"), {"price": "40.00", "notes": "Bring the old photo"})
    post_ok(
        staff_client,
        step("selfservice"),
        {"allowed": "yes", "allow_reschedule": "on", "change_deadline_minutes": "120"},
    )
    response = post_ok(staff_client, step("review"), {"notify_customer": "on"})
    clone = Booking.objects.exclude(pk=booking.pk).get()
    assert response["Location"].endswith(f"/bookings/{clone.reference}/")
    assert clone.cloned_from == booking
    assert clone.customer == booking.customer and clone.service == booking.service
    assert clone.notes == "Bring the old photo" and clone.start == new_start
    assert (clone.allow_cancel, clone.allow_reschedule, clone.change_deadline_minutes) == (
        False,
        True,
        120,
    )
    text = confirmation_text(clone, utcnow())
    assert "Reschedule: " in text and "Cancel booking: " not in text


def test_clone_of_a_confirmed_booking_is_refused(staff_client, booking):
    response = staff_client.get(
        reverse("backoffice:booking_clone", args=[booking.reference]), follow=True
    )
    assert "Only a cancelled booking can be cloned" in response.content.decode()
    assert "backoffice_wizard" not in staff_client.session or not staff_client.session[
        "backoffice_wizard"
    ].get("cloned_from")


def test_clone_of_another_business_booking_is_404(staff_client, other_world):
    from tests import factories

    theirs = factories.custom_booking(
        other_world.business,
        service=other_world.service,
        provider=other_world.alex,
        customer=other_world.customer,
        start=future_monday(other_world),
        now=utcnow(),
    )
    response = staff_client.get(reverse("backoffice:booking_clone", args=[theirs.reference]))
    assert response.status_code == 404


def _to_selfservice(client, world, start):
    client.get(reverse("backoffice:wizard_start"))
    post_ok(client, step("customer"), {"action": "pick", "customer": world.customer.pk})
    post_ok(client, step("service"), {"service": world.service.pk, "provider": world.alex.pk})
    post_ok(client, step("time"), {"slot": start.isoformat()})
    post_ok(client, step("details"), {"price": "40", "notes": ""})


def test_a_latest_change_time_already_passed_is_refused_and_the_review_shows_the_date(
    staff_client, world
):
    """A booking 6 days away: "7 days before" has passed, is shown so and refused; "48 hours
    before" is taken and the review names its exact instant."""
    start = future_monday(world)
    with time_machine.travel(start - timedelta(days=6), tick=False):
        _to_selfservice(staff_client, world, start)
        page = staff_client.get(step("selfservice")).content.decode()
        assert "7 days before — passed: Mon" in page
        assert "48 hours before — until Sat" in page
        yes = {"allowed": "yes", "allow_cancel": "on", "allow_reschedule": "on"}
        refused = staff_client.post(
            step("selfservice"), {**yes, "change_deadline_minutes": "10080"}
        )
        assert refused.status_code == 200
        assert "This latest change time has already passed" in refused.content.decode()
        # "No online changes" is always possible.
        post_ok(staff_client, step("selfservice"), OFF)
        post_ok(staff_client, step("selfservice"), {**yes, "change_deadline_minutes": "2880"})
        review = staff_client.get(step("review")).content.decode()
        local = (start - timedelta(hours=48)).astimezone(world.business.tz)
        assert f"{local:%A}, {local.day} {local:%B %Y}, 10:00" in review
        assert 'id="review-deadline"' in review
