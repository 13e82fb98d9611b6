"""The calendar's time grid: its JSON (what is drawn, for this business only), the drag-to-
move endpoint (the reschedule action's rules and email), the wizard's calendar prefill and
its week of free times with the reason a day has none (docs/guide.md, "Calendar")."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from slotwise.bookings.day_reasons import Reason, free_week
from slotwise.bookings.models import Booking, BookingEvent
from slotwise.calendars import crypto
from slotwise.calendars.models import BusyInterval, CalendarConnection, RemoteCalendar
from slotwise.catalog.models import TimeOff
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests import factories
from tests.backoffice.conftest import future_monday
from tests.backoffice.helpers import step

EVENTS = reverse("backoffice:calendar_events")


def _events(client, day, **params):
    response = client.get(EVENTS, {"start": day.isoformat(), "end": day.isoformat(), **params})
    assert response.status_code == 200
    return response.json()


def _busy(world, provider, start, end):
    connection = CalendarConnection.objects.create(
        business=world.business,
        provider=provider,
        kind="caldav",
        url="https://dav.example.com/",
        username="alex",
        password_encrypted=crypto.encrypt("pw"),
    )
    remote = RemoteCalendar.objects.create(
        connection=connection, provider=provider, url="https://dav.example.com/alex/cal/"
    )
    BusyInterval.objects.create(
        business=world.business, provider=provider, remote_calendar=remote, start=start, end=end
    )


def test_grid_draws_bookings_buffers_hours_time_off_and_busy_times(staff_client, world, booking):
    start = booking.start
    TimeOff.objects.create(
        provider=world.alex, start=start + timedelta(hours=4), end=start + timedelta(hours=5)
    )
    _busy(world, world.blake, start + timedelta(hours=1), start + timedelta(hours=2))
    data = _events(staff_client, start.date())

    assert data["zone"].startswith("Europe/Berlin")
    assert [r["title"] for r in data["resources"]] == ["Alex", "Blake"]
    [event] = [e for e in data["events"] if e.get("display") != "background"]
    assert event["id"] == booking.reference
    assert event["resourceIds"] == [str(world.alex.pk)]
    # Business wall-clock times (Berlin), the booking's whole length.
    assert (event["start"], event["end"]) == (
        f"{start.date().isoformat()}T10:00",
        f"{start.date().isoformat()}T11:00",
    )
    assert event["editable"] is True and "bk-confirmed" in event["classNames"]
    assert event["extendedProps"]["version"] == booking.version
    shapes = {
        (e["extendedProps"]["kind"], e["resourceIds"][0], e["start"][11:], e["end"][11:])
        for e in data["events"]
        if e.get("display") == "background"
    }
    assert shapes == {
        ("buffer", str(world.alex.pk), "11:00", "11:15"),
        ("open", str(world.alex.pk), "09:00", "17:00"),
        ("open", str(world.blake.pk), "09:00", "17:00"),
        ("timeoff", str(world.alex.pk), "14:00", "15:00"),
        ("busy", str(world.blake.pk), "11:00", "12:00"),
    }


def test_grid_never_shows_another_business(staff_client, world, booking, other_world):
    theirs = factories.custom_booking(
        other_world.business,
        service=other_world.service,
        provider=other_world.alex,
        customer=other_world.customer,
        start=booking.start,
        now=utcnow(),
        override_availability=True,
    )
    TimeOff.objects.create(
        provider=other_world.alex, start=booking.start, end=booking.start + timedelta(hours=1)
    )
    data = _events(staff_client, booking.start.date())
    body = str(data)
    assert theirs.reference not in body
    ids = {e["resourceIds"][0] for e in data["events"]}
    assert ids <= {str(world.alex.pk), str(world.blake.pk)}
    # Asking for their provider by id shows nothing of theirs either.
    data = _events(staff_client, booking.start.date(), provider=other_world.alex.pk)
    assert data["resources"] == [] and data["events"] == []


def test_grid_leaves_out_cancelled_bookings_and_refuses_bad_days(staff_client, world, booking):
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    data = _events(staff_client, booking.start.date())
    assert all(e.get("display") == "background" for e in data["events"])
    response = staff_client.get(EVENTS, {"start": "nonsense", "end": "2030-01-01"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"


def test_calendar_page_carries_the_grid_and_keeps_the_list(staff_client, world, booking):
    day = booking.start.date().isoformat()
    page = staff_client.get(reverse("backoffice:calendar"), {"date": day}).content.decode()
    assert 'id="grid-config"' in page and "event-calendar.min.js" in page
    assert 'id="grid-fallback"' in page and booking.customer.name in page
    listed = staff_client.get(reverse("backoffice:calendar"), {"date": day, "list": "1"})
    assert 'id="grid-config"' not in listed.content.decode()


def _move(client, booking, **data):
    return client.post(
        reverse("backoffice:calendar_move", args=[booking.reference]),
        {"version": booking.version, "notify": "yes", **data},
    )


def test_move_reschedules_through_the_action_and_emails_when_asked(staff_client, world, booking):
    new = booking.start + timedelta(hours=2)
    response = _move(
        staff_client, booking, start=f"{new.date().isoformat()}T12:00", provider=world.blake.pk
    )
    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert booking.start == new and booking.provider == world.blake
    event = booking.events.get(kind=BookingEvent.Kind.RESCHEDULED)
    assert event.actor_kind == "staff"
    assert Message.objects.filter(booking=booking, kind=Message.Kind.RESCHEDULED).exists()


def test_move_without_notify_sends_the_customer_nothing(staff_client, world, booking):
    response = _move(
        staff_client, booking, start=f"{booking.start.date().isoformat()}T11:30", notify="no"
    )
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.start == booking.start.replace(hour=10, minute=30)  # 11:30 Berlin
    assert not Message.objects.filter(booking=booking, kind=Message.Kind.RESCHEDULED).exists()


def test_refused_moves_change_nothing_and_say_why(staff_client, world, booking):
    day = booking.start.date().isoformat()
    other = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.blake,
        customer=world.customer,
        start=booking.start,
        now=utcnow(),
    )
    before = (booking.start, booking.provider_id, booking.version)
    overlap = _move(staff_client, booking, start=f"{day}T10:30", provider=world.blake.pk)
    outside = _move(staff_client, booking, start=f"{day}T20:00")
    for response in (overlap, outside):
        assert response.status_code == 409
        assert response.json()["message"]
    booking.refresh_from_db()
    assert (booking.start, booking.provider_id, booking.version) == before
    assert not booking.events.filter(kind=BookingEvent.Kind.RESCHEDULED).exists()
    # With the override, outside hours is allowed (never over another booking).
    assert _move(staff_client, booking, start=f"{day}T20:00", override="on").status_code == 200
    assert other.start == before[0]


def test_move_refuses_another_business_booking_and_provider(
    staff_client, world, booking, other_world
):
    theirs = factories.custom_booking(
        other_world.business,
        service=other_world.service,
        provider=other_world.alex,
        customer=other_world.customer,
        start=booking.start,
        now=utcnow(),
        override_availability=True,
    )
    day = booking.start.date().isoformat()
    assert _move(staff_client, theirs, start=f"{day}T12:00").status_code == 404
    response = _move(staff_client, booking, start=f"{day}T12:00", provider=other_world.alex.pk)
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.provider == world.alex
    assert staff_client.get(reverse("backoffice:calendar_move", args=["X"])).status_code == 405


def test_wizard_from_the_calendar_goes_from_customer_to_review(staff_client, world):
    start = future_monday(world) + timedelta(hours=3)
    local = start.astimezone(world.business.tz).strftime("%Y-%m-%dT%H:%M")
    response = staff_client.get(
        reverse("backoffice:wizard_start"), {"provider": world.blake.pk, "start": local}
    )
    assert response["Location"] == step("customer")
    response = staff_client.post(
        step("customer"), {"action": "pick", "customer": world.customer.pk}
    )
    # Blake offers one service: it is chosen, and so the wizard goes straight to the review.
    assert response["Location"] == step("review")
    review = staff_client.get(step("review")).content.decode()
    assert "Blake" in review
    response = staff_client.post(step("review"), {"notify_customer": "on"})
    made = Booking.objects.get()
    assert response["Location"].endswith(f"/{made.reference}/")
    assert (made.provider, made.start, made.service) == (world.blake, start, world.service)
    assert not made.allow_cancel and not made.allow_reschedule
    assert made.price == world.service.price


def test_wizard_prefill_ignores_another_business_provider_and_nonsense(
    staff_client, world, other_world
):
    staff_client.get(
        reverse("backoffice:wizard_start"),
        {"provider": other_world.alex.pk, "start": "not-a-time"},
    )
    response = staff_client.post(
        step("customer"), {"action": "pick", "customer": world.customer.pk}
    )
    assert response["Location"] == step("service")


def test_wizard_with_two_services_asks_for_the_service_then_keeps_the_time(staff_client, world):
    color = factories.make_service(world.business, "Colour", minutes=30)
    world.alex.services.add(color)
    start = future_monday(world) + timedelta(hours=2)
    local = start.astimezone(world.business.tz).strftime("%Y-%m-%dT%H:%M")
    staff_client.get(
        reverse("backoffice:wizard_start"), {"provider": world.alex.pk, "start": local}
    )
    response = staff_client.post(
        step("customer"), {"action": "pick", "customer": world.customer.pk}
    )
    assert response["Location"] == step("service")
    response = staff_client.post(step("service"), {"service": color.pk, "provider": world.alex.pk})
    assert response["Location"] == step("review")


def test_time_step_shows_a_week_per_provider_with_reasons(staff_client, world, booking):
    staff_client.get(reverse("backoffice:wizard_start"))
    staff_client.post(step("customer"), {"action": "pick", "customer": world.customer.pk})
    staff_client.post(step("service"), {"service": world.service.pk, "provider": world.alex.pk})
    monday = booking.start.date()
    TimeOff.objects.create(
        provider=world.alex,
        start=factories.local(world.business, monday.year, monday.month, monday.day + 1, 0),
        end=factories.local(world.business, monday.year, monday.month, monday.day + 2, 0),
    )
    page = staff_client.get(step("time"), {"day": monday.isoformat()}).content.decode()
    assert page.count("<legend>Alex") == 1 and page.count("<legend>Blake") == 1
    assert "Time off or away" in page
    # Picking Blake's time switches the provider.
    slot = f"{world.blake.pk}@{booking.start.isoformat()}"
    assert f'value="{slot}"' in page
    response = staff_client.post(step("time"), {"day": monday.isoformat(), "slot": slot})
    assert response.status_code == 302
    assert staff_client.session["backoffice_wizard"]["provider_id"] == world.blake.pk


def test_free_week_gives_each_empty_day_its_reason(world):
    now = utcnow()
    today = now.astimezone(world.business.tz).date()
    world.business.max_days_ahead = 20
    world.business.save()
    closed = factories.make_provider(world.business, "Casey", [world.service], weekdays=range(0, 5))
    first = today + timedelta(days=14)
    saturday = first + timedelta(days=(5 - first.weekday()) % 7)
    sat_start = factories.local(world.business, saturday.year, saturday.month, saturday.day, 9)
    TimeOff.objects.create(provider=world.alex, start=sat_start, end=sat_start + timedelta(hours=8))
    # 60 minutes and a 15-minute buffer, back to back: only 16:30–17:00 is left, too short.
    for i in range(6):
        factories.custom_booking(
            world.business,
            service=world.service,
            provider=world.blake,
            customer=world.customer,
            start=sat_start + timedelta(minutes=75 * i),
            now=now,
            override_availability=True,
        )
    weeks = free_week(
        business=world.business,
        service=world.service,
        providers=[world.alex, world.blake, closed],
        first_day=saturday,
        now=now,
    )
    alex, blake, casey = ({d.day: d for d in w.days} for w in weeks)
    assert alex[saturday].reason == Reason.TIME_OFF and not alex[saturday].slots
    assert blake[saturday].reason == Reason.FULL
    assert casey[saturday].reason == Reason.CLOSED
    assert alex[saturday + timedelta(days=2)].slots  # Monday: free
    past = free_week(
        business=world.business,
        service=world.service,
        providers=[world.alex],
        first_day=today - timedelta(days=2),
        now=now,
        days=1,
    )
    assert past[0].days[0].reason == Reason.PAST
    far = today + timedelta(days=21)
    late = free_week(
        business=world.business,
        service=world.service,
        providers=[world.alex],
        first_day=far,
        now=now,
        days=1,
    )
    assert late[0].days[0].reason == Reason.HORIZON
