"""Set up and inspect the database of a fault test, from a separate process.

Fault tests run Slotwise as real processes on a database of their own (a private PostgreSQL
cluster, a fresh database on the shared server, or an SQLite file), not on pytest-django's
test database. This module is run against that database with its ``DATABASE_URL``:

    python -m tests.faults.appdata seed --slug faults --providers 2
    python -m tests.faults.appdata audit --slug faults

``seed`` builds one business with a booking page open around the clock (so that tests can
pick any half hour of the coming weeks) and prints its ids as JSON. ``audit`` reads every
booking back through the ORM and prints, as JSON, what it found and every way in which a
booking is incomplete: a history that does not match the row, a missing or extra outbox
message, a reminder that did not follow the booking, a customer without a booking (the
remains of a transaction that was only half written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from datetime import time, timedelta
from itertools import pairwise
from typing import Any


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slotwise.settings")
    import django

    django.setup()


def seed(slug: str, providers: int) -> dict[str, Any]:
    """A business in UTC with one 30-minute service, ``providers`` providers and a page."""
    from slotwise.notifications.models import NotificationSettings
    from tests import factories

    business = factories.make_business(slug, "UTC")
    service = factories.make_service(business, "Consultation", minutes=30)
    staff = [
        factories.make_provider(
            business, f"Provider{i}", [service], hours=((time(0), time(23, 30)),)
        )
        for i in range(providers)
    ]
    page = factories.make_page(
        business,
        [service],
        staff,
        slug="book",
        allow_cancel=True,
        allow_reschedule=True,
        change_deadline_minutes=24 * 60,
        any_provider=True,
        max_days_ahead=60,
        slot_step_minutes=30,
    )
    # Every audience hears of every change, so every booking has messages of each kind.
    NotificationSettings.objects.filter(business=business).update(business_on_created=True)
    return {
        "business": business.slug,
        "business_id": business.pk,
        "page": page.slug,
        "service_id": service.pk,
        "provider_ids": [p.pk for p in staff],
    }


def _expected_messages(version: int) -> Counter[tuple[str, str, int]]:
    """(kind, audience, booking version) of every message a booking at ``version`` has queued.

    Version 1 is the creation; each customer reschedule adds one version (same provider).
    """
    expected: Counter[tuple[str, str, int]] = Counter()
    for audience in ("customer", "provider", "business"):
        kind = "confirmation" if audience == "customer" else "staff_created"
        expected[(kind, audience, 1)] += 1
    for v in range(2, version + 1):
        for audience in ("customer", "provider", "business"):
            kind = "rescheduled" if audience == "customer" else "staff_rescheduled"
            expected[(kind, audience, v)] += 1
    return expected


def audit(slug: str) -> dict[str, Any]:
    """Every booking of business ``slug`` with its history, messages and reminders, checked."""
    from datetime import datetime

    from slotwise.bookings.models import Booking, BookingEvent, BookingToken
    from slotwise.catalog.models import Customer
    from slotwise.core.clock import utcnow
    from slotwise.core.models import Business
    from slotwise.notifications.models import Message
    from slotwise.notifications.render import message_id

    business = Business.objects.get(slug=slug)
    problems: list[str] = []
    bookings: dict[str, Any] = {}
    rows = Booking.objects.filter(business=business).select_related("provider").order_by("pk")
    events_by_booking: dict[int, list[BookingEvent]] = {}
    for event in BookingEvent.objects.filter(business_id=business.pk).order_by("pk"):
        events_by_booking.setdefault(event.booking_id, []).append(event)
    messages_by_booking: dict[int, list[Message]] = {}
    for message in Message.objects.filter(business=business).order_by("pk"):
        if message.booking_id is None:
            problems.append(f"message {message.pk} ({message.kind}) belongs to no booking")
            continue
        messages_by_booking.setdefault(message.booking_id, []).append(message)
    tokens = Counter(
        BookingToken.objects.filter(booking__business=business, purpose="manage").values_list(
            "booking_id", flat=True
        )
    )

    for booking in rows:
        ref = booking.reference
        events = events_by_booking.get(booking.pk, [])
        kinds = [e.kind for e in events]
        starts = [datetime.fromisoformat(e.new["start"]) for e in events if "start" in e.new]
        if booking.status != Booking.Status.CONFIRMED:
            problems.append(f"{ref}: status {booking.status}, expected confirmed")
        if kinds[:1] != ["created"] or any(k != "rescheduled" for k in kinds[1:]):
            problems.append(f"{ref}: history {kinds}, expected created then reschedules")
        if len(kinds) != booking.version or booking.reschedule_count != booking.version - 1:
            problems.append(
                f"{ref}: {len(kinds)} history rows for version {booking.version} and "
                f"{booking.reschedule_count} reschedules"
            )
        if not starts or starts[-1] != booking.start:
            problems.append(f"{ref}: last history start {starts[-1:]} != booking {booking.start}")
        for older, newer in pairwise(events):
            if newer.old.get("start") != older.new.get("start"):
                problems.append(f"{ref}: history rows {older.pk} and {newer.pk} do not chain")
        if booking.end != booking.start + timedelta(minutes=30):
            problems.append(f"{ref}: end {booking.end} does not follow start {booking.start}")

        messages = messages_by_booking.get(booking.pk, [])
        sent_kinds = Counter(
            (m.kind, m.audience, int(m.context.get("version", 0)))
            for m in messages
            if m.kind != Message.Kind.REMINDER
        )
        expected = _expected_messages(booking.version)
        if sent_kinds != expected:
            problems.append(
                f"{ref}: messages {sorted(sent_kinds.items())} != {sorted(expected.items())}"
            )
        reminders = [m for m in messages if m.kind == Message.Kind.REMINDER]
        due = booking.start - timedelta(hours=24)
        if len(reminders) != 1:
            problems.append(f"{ref}: {len(reminders)} reminder rows, expected 1")
        for reminder in reminders:
            if reminder.status != Message.Status.QUEUED or reminder.due_at != due:
                problems.append(
                    f"{ref}: reminder {reminder.status} due {reminder.due_at}, "
                    f"expected queued due {due}"
                )
        if tokens[booking.pk] < 1:
            problems.append(f"{ref}: no manage link token")

        bookings[ref] = {
            "id": booking.pk,
            "start": booking.start.isoformat(),
            "provider_id": booking.provider_id,
            "version": booking.version,
            "history_starts": [s.isoformat() for s in starts],
        }

    orphans = Customer.objects.filter(business=business, bookings__isnull=True).count()
    if orphans:
        problems.append(f"{orphans} customers without a booking (half-written transactions)")
    stray = BookingEvent.objects.filter(business_id=business.pk).exclude(booking__business=business)
    if stray.exists():
        problems.append("history rows pointing outside the business")

    now = utcnow()
    due_messages = [
        m
        for ms in messages_by_booking.values()
        for m in ms
        if m.kind != Message.Kind.REMINDER and m.due_at <= now
    ]
    return {
        "bookings": bookings,
        "problems": problems,
        "counts": {
            "bookings": len(bookings),
            "history_rows": sum(len(v) for v in events_by_booking.values()),
            "messages": sum(len(v) for v in messages_by_booking.values()),
            "reminders": sum(
                1 for ms in messages_by_booking.values() for m in ms if m.kind == "reminder"
            ),
            "customers": Customer.objects.filter(business=business).count(),
        },
        "due_messages": {
            message_id(m): {"id": m.pk, "status": m.status, "kind": m.kind, "attempts": m.attempts}
            for m in due_messages
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed_cmd = sub.add_parser("seed")
    seed_cmd.add_argument("--slug", required=True)
    seed_cmd.add_argument("--providers", type=int, default=1)
    audit_cmd = sub.add_parser("audit")
    audit_cmd.add_argument("--slug", required=True)
    options = parser.parse_args(argv)
    _setup_django()
    if options.command == "seed":
        result = seed(options.slug, options.providers)
    else:
        result = audit(options.slug)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
