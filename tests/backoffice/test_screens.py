"""Dashboard, list filters and pagination, calendar and ratings."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from slotwise.bookings.actions import (
    booking_cancel,
    booking_complete,
    booking_rate,
    booking_reschedule,
)
from slotwise.bookings.actor import Actor
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.core.clock import utcnow
from slotwise.notifications.models import Message
from tests import factories
from tests.backoffice.conftest import future_monday

BOTH = SelfServicePolicy(allow_cancel=True, allow_reschedule=True, change_deadline_minutes=60)


def _booking(world, start, **kw):
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=kw.pop("provider", world.alex),
        customer=kw.pop("customer", world.customer),
        start=start,
        now=utcnow(),
        **kw,
    )


def test_dashboard_shows_customer_changes_with_old_and_new_time(staff_client, world):
    start = future_monday(world)
    moved = _booking(world, start, policy=BOTH)
    gone = _booking(world, start + timedelta(hours=4), policy=BOTH)
    staff_moved = _booking(world, start + timedelta(days=1))
    booking_reschedule(
        booking_id=moved.pk,
        actor=Actor.customer("Casey"),
        new_start=start + timedelta(hours=2),
        now=utcnow(),
    )
    booking_cancel(booking_id=gone.pk, actor=Actor.customer("Casey"), now=utcnow())
    booking_cancel(booking_id=staff_moved.pk, actor=Actor.system("t"), now=utcnow())

    response = staff_client.get("/backoffice/")
    changes = response.context["changes"]
    assert {(e.booking_id, e.kind) for e in changes} == {
        (moved.pk, "rescheduled"),
        (gone.pk, "cancelled"),
    }
    body = response.content.decode()
    section = body.split('id="h-changes"')[1].split("</section>")[0]
    local = start.astimezone(world.business.tz)
    assert f"{local:%H}:00 CEST → " in section or f"{local:%H}:00 CET → " in section
    assert moved.reference in section and gone.reference in section
    assert staff_moved.reference not in section


def test_dashboard_lists_failed_notifications(staff_client, booking):
    message = Message.objects.filter(booking=booking).first()
    message.status = Message.Status.FAILED
    message.last_error = "550 mailbox unavailable"
    message.save()
    body = staff_client.get("/backoffice/").content.decode()
    section = body.split('id="h-failed"')[1].split("</section>")[0]
    assert "550 mailbox unavailable" in section and booking.reference in section


def test_dashboard_empty_states(staff_client, world):
    body = staff_client.get("/backoffice/").content.decode()
    assert "No bookings today." in body
    assert "No customer has cancelled or rescheduled online recently." in body


def test_list_filters(staff_client, world):
    start = future_monday(world)
    a = _booking(world, start)
    b = _booking(world, start + timedelta(days=2), provider=world.blake)
    booking_cancel(booking_id=b.pk, actor=Actor.system("t"), now=utcnow())
    lst = reverse("backoffice:booking_list")

    def refs(query):
        # Every tab at once ("all"): the tabs themselves are tested in test_staff_tools.py.
        response = staff_client.get(lst + (query + "&" if query else "?") + "tab=all")
        return {x.reference for x in response.context["page"].object_list}

    assert refs("") == {a.reference, b.reference}
    assert refs("?status=cancelled") == {b.reference}
    assert refs(f"?provider={world.alex.pk}") == {a.reference}
    assert refs("?source=web") == set()
    assert refs("?q=casey") == {a.reference, b.reference}
    assert refs(f"?q={a.reference.lower()}") == {a.reference}
    day = start.astimezone(world.business.tz).date()
    assert refs(f"?date_from={day}&date_to={day}") == {a.reference}
    assert refs(f"?date_from={day + timedelta(days=1)}") == {b.reference}


def test_list_pagination(staff_client, world):
    start = future_monday(world)
    for i in range(30):
        _booking(world, start + timedelta(days=i // 4, hours=2 * (i % 4)))
    first = staff_client.get(reverse("backoffice:booking_list") + "?status=confirmed")
    assert len(first.context["page"].object_list) == 25
    assert "?status=confirmed&amp;page=2" in first.content.decode()
    second = staff_client.get(reverse("backoffice:booking_list") + "?status=confirmed&page=2")
    assert len(second.context["page"].object_list) == 5


def test_calendar_day_and_week_link_to_bookings(staff_client, world):
    start = future_monday(world)
    a = _booking(world, start)
    b = _booking(world, start + timedelta(hours=2), provider=world.blake)
    day = start.astimezone(world.business.tz).date()
    cal = reverse("backoffice:calendar")
    body = staff_client.get(cal + f"?view=day&date={day}").content.decode()
    for x in (a, b):
        assert reverse("backoffice:booking_detail", args=[x.reference]) in body
    assert "Alex" in body and "Blake" in body
    week = staff_client.get(cal + f"?view=week&date={day + timedelta(days=2)}").content.decode()
    for x in (a, b):
        assert reverse("backoffice:booking_detail", args=[x.reference]) in week


def test_calendar_leaves_out_cancelled(staff_client, world):
    a = _booking(world, future_monday(world))
    booking_cancel(booking_id=a.pk, actor=Actor.system("t"), now=utcnow())
    day = a.start.astimezone(world.business.tz).date()
    body = staff_client.get(reverse("backoffice:calendar") + f"?date={day}").content.decode()
    assert a.reference not in body


def test_ratings_averages(staff_client, world):
    for stars, provider in ((5, world.alex), (3, world.alex), (4, world.blake)):
        start = (utcnow() - timedelta(days=stars)).replace(second=0, microsecond=0)
        b = factories.custom_booking(
            world.business,
            service=world.service,
            provider=provider,
            customer=world.customer,
            start=start,
            now=start - timedelta(days=1),
            override_availability=True,
        )
        booking_complete(booking_id=b.pk, actor=Actor.system("t"), now=b.end)
        booking_rate(
            booking_id=b.pk, stars=stars, comment="Lovely" if stars == 5 else "", now=b.end
        )
    response = staff_client.get(reverse("backoffice:ratings"))
    by_provider = {r["booking__provider__name"]: r for r in response.context["by_provider"]}
    assert by_provider["Alex"]["average"] == 4 and by_provider["Alex"]["count"] == 2
    assert by_provider["Blake"]["average"] == 4
    assert response.context["by_service"][0]["count"] == 3
    assert "Lovely" in response.content.decode()
