"""Management commands: create_business and seed_demo."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from slotwise.bookings.models import Booking, BookingPage
from slotwise.core.models import Business, Membership
from slotwise.notifications.models import NotificationSettings, ReminderRule

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _set_password_by_link(link: str, password: str) -> None:
    client = Client()
    form = client.get(link, follow=True)  # Django moves the token into the session first
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert done.status_code == 302


def test_create_business_emails_the_owner_a_set_password_link(mailoutbox):
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
    assert "password:" not in output.lower() and "Emailed owner@bloom.test" in output
    user = get_user_model().objects.get(username="owner@bloom.test")
    assert not user.has_usable_password()  # nobody, the operator included, knows a password
    (email,) = mailoutbox
    assert email.to == ["owner@bloom.test"]
    link = re.search(r"https?://\S+/backoffice/new-password/\S+/", email.body).group(0)
    _set_password_by_link(link, "bloom-owner-pass-1")
    assert authenticate(username="owner@bloom.test", password="bloom-owner-pass-1") == user
    assert Membership.objects.get(user=user).role == "owner"
    assert NotificationSettings.objects.filter(business=business).exists()
    assert list(
        ReminderRule.objects.filter(business=business).values_list("minutes_before", flat=True)
    ) == [1440]
    # The link works once.
    assert "no longer works" in Client().get(link, follow=True).content.decode()


def test_create_business_prints_the_link_when_mail_is_the_console(settings, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    output = run(
        "create_business",
        "--slug",
        "fern",
        "--name",
        "Fern",
        "--timezone",
        "UTC",
        "--owner-email",
        "owner@fern.test",
    )
    link = re.search(r"One-time link for the owner to set a password: (\S+)", output).group(1)
    _set_password_by_link(link, "fern-owner-pass-1")
    assert authenticate(username="owner@fern.test", password="fern-owner-pass-1")


@pytest.mark.parametrize("weak", ["1", "12345678", "password", "owner@moss.test"])
def test_create_business_refuses_a_weak_owner_password(weak):
    with pytest.raises(CommandError):
        run(
            "create_business",
            "--slug",
            "moss",
            "--name",
            "Moss",
            "--timezone",
            "UTC",
            "--owner-email",
            "owner@moss.test",
            "--owner-password",
            weak,
        )
    assert not Business.objects.filter(slug="moss").exists()
    assert not get_user_model().objects.filter(username="owner@moss.test").exists()


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
    # One provider has a secret calendar feed; its address is printed once and works.
    feed_path = re.search(r"calendar feed: \S+(/feeds/\S+\.ics)", output).group(1)
    assert Client().get(feed_path).status_code == 200
    again = run("seed_demo")
    assert "/feeds/" not in again
    assert Booking.objects.filter(business=business).count() == count
