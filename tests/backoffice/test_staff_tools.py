"""Staff tools: the bookings list's tabs, notes, resending a failed notification, the week of
working hours on one form, time off as a date range, and the confirmation step."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.urls import reverse

from slotwise.bookings.actions import booking_cancel, booking_notes_edit
from slotwise.bookings.actor import Actor
from slotwise.bookings.models import BookingEvent
from slotwise.catalog.models import WorkingHours
from slotwise.core import errors
from slotwise.core.clock import utcnow
from slotwise.notifications import worker
from slotwise.notifications.models import Message
from slotwise.notifications.resend import message_resend
from tests import factories
from tests.backoffice.conftest import future_monday
from tests.backoffice.test_settings import hours_data

LIST = "backoffice:booking_list"


def _booking(world, start, **kw):
    return factories.custom_booking(
        world.business,
        service=world.service,
        provider=kw.pop("provider", world.alex),
        customer=world.customer,
        start=start,
        now=kw.pop("now", utcnow()),
        override_availability=True,
        **kw,
    )


# --- the bookings list ------------------------------------------------------------------


def test_list_opens_on_upcoming_soonest_first_and_tabs_split_the_rest(staff_client, world):
    now = utcnow()
    tz = world.business.tz
    later = _booking(world, future_monday(world) + timedelta(days=7))
    soon = _booking(world, future_monday(world))
    past_old = _booking(world, now - timedelta(days=10), now=now - timedelta(days=11))
    past_new = _booking(world, now - timedelta(days=3), now=now - timedelta(days=4))
    gone = _booking(world, future_monday(world) + timedelta(hours=3), provider=world.blake)
    booking_cancel(booking_id=gone.pk, actor=Actor.system("t"), now=now)
    # Today: 00:00 plus a few minutes in the business's zone, whatever the frozen hour.
    midnight = now.astimezone(tz).replace(hour=0, minute=5, second=0, microsecond=0)
    today = _booking(world, midnight, provider=world.blake, now=midnight - timedelta(days=1))

    def refs(query=""):
        response = staff_client.get(reverse(LIST) + query)
        assert response.status_code == 200
        return [b.reference for b in response.context["page"].object_list]

    upcoming = refs()
    assert upcoming[:2] == [soon.reference, later.reference] or upcoming[-2:] == [
        soon.reference,
        later.reference,
    ]
    assert gone.reference not in upcoming and past_old.reference not in upcoming
    assert refs("?tab=past")[:2] == [past_new.reference, past_old.reference] or (
        today.reference in refs("?tab=past")
    )
    assert refs("?tab=cancelled") == [gone.reference]
    assert today.reference in refs("?tab=today")
    assert soon.reference not in refs("?tab=today")
    assert set(refs("?tab=all")) == {
        b.reference for b in (later, soon, past_old, past_new, gone, today)
    }
    assert refs("?tab=nonsense") == upcoming  # an unknown tab is the default one


def test_tab_links_and_pages_keep_the_filters(staff_client, world):
    start = future_monday(world)
    for i in range(27):
        _booking(world, start + timedelta(days=i // 4, hours=2 * (i % 4)))
    body = staff_client.get(reverse(LIST) + f"?provider={world.alex.pk}&q=casey").text
    assert f"?provider={world.alex.pk}&amp;q=casey&amp;tab=past" in body
    assert f"?provider={world.alex.pk}&amp;q=casey&amp;page=2" in body
    assert 'name="tab" value="upcoming"' in body  # the filter form stays on its tab
    assert "Times in Europe/Berlin" in body


def test_empty_tabs_say_what_is_missing(staff_client, world):
    assert "Nothing booked from now on." in staff_client.get(reverse(LIST)).text
    assert "No cancelled bookings." in staff_client.get(reverse(LIST) + "?tab=cancelled").text
    body = staff_client.get(reverse(LIST) + "?tab=past&q=nobody").text
    assert "No booking matches these filters." in body and "tab=all" in body


# --- notes ------------------------------------------------------------------------------


def test_notes_edit_records_before_and_after(staff_client, world, booking):
    url = reverse("backoffice:booking_notes", args=[booking.reference])
    response = staff_client.post(url, {"notes": "Allergic to latex\r\nBring forms"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.notes == "Allergic to latex\nBring forms"
    event = booking.events.get(kind=BookingEvent.Kind.NOTES_EDITED)
    assert event.old == {"notes": ""}
    assert event.new == {"notes": "Allergic to latex\nBring forms"}
    assert event.actor_kind == "staff"
    page = staff_client.get(reverse("backoffice:booking_detail", args=[booking.reference])).text
    assert "Notes edited" in page and "Allergic to latex" in page
    # Saving the same notes again writes no second history row.
    staff_client.post(url, {"notes": "Allergic to latex\nBring forms"})
    assert booking.events.filter(kind=BookingEvent.Kind.NOTES_EDITED).count() == 1


def test_notes_of_another_business_are_not_found(world, other_world, booking):
    with pytest.raises(errors.NotFound) as caught:
        booking_notes_edit(
            booking_id=booking.pk,
            business_id=other_world.business.pk,
            actor=Actor.system("t"),
            notes="x",
            now=utcnow(),
        )
    assert caught.value.code == "not_found"
    booking.refresh_from_db()
    assert booking.notes == "" and not booking.events.filter(kind="notes_edited").exists()


def test_too_long_notes_are_refused_on_the_form(staff_client, booking):
    url = reverse("backoffice:booking_notes", args=[booking.reference])
    response = staff_client.post(url, {"notes": "x" * 2001})
    assert response.status_code == 422
    booking.refresh_from_db()
    assert booking.notes == ""


# --- resending a failed notification -----------------------------------------------------


def _failed(booking) -> Message:
    message = Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION).get()
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.FAILED, attempts=8, last_error="550 mailbox unavailable"
    )
    message.refresh_from_db()
    return message


def test_resend_queues_a_copy_and_the_worker_sends_it(staff_client, world, booking, mailoutbox):
    failed = _failed(booking)
    dashboard = staff_client.get(reverse("backoffice:dashboard")).text
    assert reverse("backoffice:notification_resend", args=[failed.pk]) in dashboard
    response = staff_client.post(reverse("backoffice:notification_resend", args=[failed.pk]))
    assert response["Location"] == reverse("backoffice:dashboard")
    copy = Message.objects.get(resend_of=failed)
    assert copy.status == Message.Status.QUEUED and copy.attempts == 0
    assert (copy.kind, copy.recipient, copy.context) == (
        failed.kind,
        failed.recipient,
        failed.context,
    )
    failed.refresh_from_db()
    assert failed.status == Message.Status.FAILED  # kept for the record
    event = booking.events.get(kind=BookingEvent.Kind.NOTIFICATION_RESENT)
    assert event.new["message_id"] == copy.pk and event.old["message_id"] == failed.pk
    # The dashboard no longer lists it as needing attention.
    dashboard = staff_client.get(reverse("backoffice:dashboard")).text
    assert reverse("backoffice:notification_resend", args=[failed.pk]) not in dashboard
    mailoutbox.clear()
    worker.run_once(worker_id="w1", now=lambda: utcnow() + timedelta(seconds=1))
    copy.refresh_from_db()
    assert copy.status == Message.Status.SENT
    assert [failed.recipient] in [m.to for m in mailoutbox]


def test_resend_from_the_booking_page_returns_there(staff_client, booking):
    failed = _failed(booking)
    detail = reverse("backoffice:booking_detail", args=[booking.reference])
    assert "Send again" in staff_client.get(detail).text
    response = staff_client.post(
        reverse("backoffice:notification_resend", args=[failed.pk]), {"back": "booking"}
    )
    assert response["Location"] == detail + "#notifications"
    page = staff_client.get(detail).text
    assert "Notification sent again" in page and "Sent again after a failed attempt." in page


def test_resend_is_refused_unless_failed_and_only_once(staff_client, world, booking):
    queued = Message.objects.filter(booking=booking, kind=Message.Kind.CONFIRMATION).get()
    with pytest.raises(errors.DomainError) as caught:
        message_resend(
            business=world.business, message_id=queued.pk, actor=Actor.system("t"), now=utcnow()
        )
    assert caught.value.code == "not_resendable"
    response = staff_client.post(
        reverse("backoffice:notification_resend", args=[queued.pk]), follow=True
    )
    assert "Only a failed notification can be sent again" in response.text
    failed = _failed(booking)
    message_resend(
        business=world.business, message_id=failed.pk, actor=Actor.system("t"), now=utcnow()
    )
    with pytest.raises(errors.DomainError, match="already been sent again"):
        message_resend(
            business=world.business, message_id=failed.pk, actor=Actor.system("t"), now=utcnow()
        )
    assert Message.objects.filter(resend_of=failed).count() == 1


def test_resend_needs_a_post(staff_client, booking):
    failed = _failed(booking)
    url = reverse("backoffice:notification_resend", args=[failed.pk])
    assert staff_client.get(url).status_code == 405
    assert not Message.objects.filter(resend_of=failed).exists()


# --- working hours: one form for the week --------------------------------------------------


def _hours(provider):
    return [
        (h.weekday, h.start, h.end)
        for h in WorkingHours.objects.filter(provider=provider).order_by("weekday", "start")
    ]


def test_week_form_shows_each_day_and_saves_once(owner_client, world):
    url = reverse("backoffice:settings_provider_hours", args=[world.alex.pk])
    page = owner_client.get(url).text
    for day in ("Monday", "Sunday"):
        assert f'<legend class="week-label">{day}</legend>' in page
    response = owner_client.post(url, hours_data({0: [("08:00", "12:00")], 6: []}))
    assert response.status_code == 302
    assert _hours(world.alex) == [(0, time(8), time(12))]


def test_add_remove_and_copy_monday_change_the_form_without_saving(owner_client, world):
    url = reverse("backoffice:settings_provider_hours", args=[world.alex.pk])
    before = _hours(world.alex)
    week = hours_data({0: [("09:00", "12:00"), ("13:00", "17:00")], 5: [("10:00", "14:00")]})
    added = owner_client.post(url, {**week, "action": "add-5"})
    assert added.status_code == 200 and "not saved yet" in added.text
    assert 'name="d5-1-start"' in added.text
    removed = owner_client.post(url, {**week, "action": "remove-0-0"})
    assert 'name="d0-1-start"' not in removed.text and 'value="13:00"' in removed.text
    copied = owner_client.post(url, {**week, "action": "copy-monday"})
    for day in (1, 2, 3, 4):
        assert f'name="d{day}-1-end" value="17:00"' in copied.text
    assert 'name="d5-0-start" value="10:00"' in copied.text  # Saturday untouched
    assert _hours(world.alex) == before


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ([("12:00", "09:00")], "12:00–09:00: the end must be after the start"),
        ([("09:00", "")], "give both a start and an end time"),
        ([("9 o'clock", "10:00")], "enter times as hours and minutes"),
        ([("09:00", "13:00"), ("12:00", "17:00")], "09:00–13:00 and 12:00–17:00 overlap."),
    ],
)
def test_week_form_errors_stand_on_their_day(owner_client, world, ranges, message):
    url = reverse("backoffice:settings_provider_hours", args=[world.alex.pk])
    before = _hours(world.alex)
    response = owner_client.post(url, hours_data({0: [("09:00", "17:00")], 2: ranges}))
    assert response.status_code == 422
    assert message in response.text
    assert 'id="hours_d2_errors"' in response.text and 'id="hours_d0_errors"' not in response.text
    assert "Some days need fixing; nothing was saved." in response.text
    assert _hours(world.alex) == before


def test_saving_hours_that_grow_still_tells_the_waitlist(owner_client, world, monkeypatch):
    from slotwise.core import events

    emitted = []
    real = events.emit
    monkeypatch.setattr(events, "emit", lambda e: (emitted.append(e), real(e)))
    url = reverse("backoffice:settings_provider_hours", args=[world.alex.pk])
    owner_client.post(url, hours_data({d: [("06:00", "22:00")] for d in range(7)}))
    # The new hours give the provider a new availability version, and the freed time goes
    # to the waitlist.
    assert [type(e).__name__ for e in emitted] == ["ScheduleChanged", "TimeFreed"]


# --- time off as a date range ------------------------------------------------------------


def test_time_off_range_is_checked(owner_client, world):
    url = reverse("backoffice:settings_provider_time_off", args=[world.alex.pk])
    day = future_monday(world).date()
    backwards = owner_client.post(url, {"start": f"{day}T12:00", "end": f"{day}T09:00"})
    assert backwards.status_code == 422 and "“Until” must be after “From”." in backwards.text
    over = owner_client.post(url, {"start": "2001-01-01T09:00", "end": "2001-01-02T09:00"})
    assert "This period is already over" in over.text
    missing = owner_client.post(url, {"start": "", "end": ""})
    assert "Give the day and time the time off starts." in missing.text
    assert not world.alex.time_off.exists()
    ok = owner_client.post(url, {"start": f"{day}T12:00", "end": f"{day}T15:30"})
    assert ok.status_code == 302
    off = world.alex.time_off.get()
    assert off.start == factories.local(world.business, day.year, day.month, day.day, 12)


# --- the confirmation step ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["settings_reminder_delete", "settings_api_key_revoke", "settings_member_remove"]
)
def test_irreversible_settings_actions_ask_first(owner_client, staff_user, world, name):
    from slotwise.core.api_keys import api_key_create
    from slotwise.core.models import Membership
    from slotwise.notifications.models import ReminderRule

    target = {
        "settings_reminder_delete": lambda: ReminderRule.objects.filter(
            business=world.business
        ).first(),
        "settings_api_key_revoke": lambda: api_key_create(
            business=world.business, name="Till", now=utcnow()
        )[0],
        "settings_member_remove": lambda: (
            Membership.objects.filter(business=world.business)
            .exclude(user__username="owner@acme.test")
            .first()
            or pytest.skip("no second member")
        ),
    }[name]()
    url = reverse(f"backoffice:{name}", args=[target.pk])
    page = owner_client.get(url)
    assert page.status_code == 200
    assert "This cannot be undone." in page.text and f'action="{url}"' in page.text
    target.refresh_from_db()  # still there after the GET


def test_a_status_filter_applies_within_the_tab(staff_client, world):
    gone = _booking(world, future_monday(world))
    booking_cancel(booking_id=gone.pk, actor=Actor.system("t"), now=utcnow())
    response = staff_client.get(reverse(LIST) + "?status=cancelled")
    assert [b.reference for b in response.context["page"].object_list] == [gone.reference]
    response = staff_client.get(reverse(LIST) + "?tab=past&status=cancelled")
    assert not response.context["page"].object_list
