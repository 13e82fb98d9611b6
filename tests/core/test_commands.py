"""Management commands: create_business and seed_demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from slotwise.bookings.models import Booking, BookingPage
from slotwise.core.models import Business, Membership
from slotwise.notifications.models import NotificationSettings, ReminderRule

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_business_prints_generated_password():
    output = run(
        "create_business",
        "--slug",
        "bloom",
        "--name",
        "Bloom Florists",
        "--timezone",
        "America/Chicago",
        "--owner-email",
        "owner@bloom.test",
    )
    business = Business.objects.get(slug="bloom")
    assert business.timezone == "America/Chicago"
    password = output.strip().splitlines()[-1].removeprefix("Generated password: ")
    user = authenticate(username="owner@bloom.test", password=password)
    assert user is not None
    assert Membership.objects.get(user=user).role == "owner"
    assert NotificationSettings.objects.filter(business=business).exists()
    assert list(
        ReminderRule.objects.filter(business=business).values_list("minutes_before", flat=True)
    ) == [1440]


def test_create_business_with_password_and_errors():
    output = run(
        "create_business",
        "--slug",
        "tide",
        "--name",
        "Tide",
        "--timezone",
        "UTC",
        "--owner-email",
        "o@tide.test",
        "--owner-password",
        "correct-horse-battery",
    )
    assert "Generated password" not in output
    assert authenticate(username="o@tide.test", password="correct-horse-battery")
    with pytest.raises(CommandError, match="exists already"):
        run(
            "create_business",
            "--slug",
            "tide",
            "--name",
            "T",
            "--timezone",
            "UTC",
            "--owner-email",
            "x@t.test",
        )
    with pytest.raises(CommandError, match="time zone"):
        run(
            "create_business",
            "--slug",
            "moon",
            "--name",
            "M",
            "--timezone",
            "Mars/Olympus",
            "--owner-email",
            "x@t.test",
        )
    assert Business.objects.count() == 1


def test_seed_demo_is_idempotent_and_prints_logins():
    output = run("seed_demo")
    assert "owner@demo-salon.example" in output and "demo-owner-pass" in output
    business = Business.objects.get(slug="demo-salon")
    count = Booking.objects.filter(business=business).count()
    assert count > 20
    page = BookingPage.objects.get(business=business, slug="online")
    assert page.allow_cancel and page.allow_reschedule and page.change_deadline_minutes == 1440
    assert business.providers.count() == 3
    assert authenticate(username="owner@demo-salon.example", password="demo-owner-pass")
    run("seed_demo")
    assert Booking.objects.filter(business=business).count() == count
