"""An owner invites a colleague; the colleague opens the emailed link, chooses a password, and
signs in with it later. Also the password pages people reach from the sign-in page."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from slotwise.core.models import Membership
from tests.browser._backoffice import sign_in, world_with_history
from tests.browser.conftest import assert_accessible, follow, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "robins-own-pass-42"


def test_invite_accept_and_sign_in(live_server, desktop_page, phone_page):
    world = world_with_history()
    page = desktop_page
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/backoffice/settings/team/")
    page.get_by_label("Email", exact=True).fill("robin@example.test")
    page.get_by_label("Role", exact=True).select_option("admin")
    follow(page, page.get_by_role("button", name="Send invitation"))
    assert page.get_by_text("Invitation sent to robin@example.test.").is_visible()
    assert page.get_by_text("Link works until").is_visible()
    assert "password is" not in page.content()
    assert_accessible(page)
    screenshot(page, "backoffice-team-invitation-desktop")

    link = re.search(r"http://\S+/backoffice/join/\S+/", mail.outbox[-1].body).group(0)
    path = link.split("/backoffice/", 1)[1]
    invitee = phone_page
    invitee.goto(f"{live_server.url}/backoffice/{path}")
    assert invitee.get_by_role("heading", name="Join Acme Studio").is_visible()
    assert_accessible(invitee)
    screenshot(invitee, "backoffice-invitation-accept-phone")
    invitee.get_by_label("Your name").fill("Robin Vale")
    invitee.get_by_label("Choose a password").fill("1")
    invitee.get_by_label("Password again").fill("1")
    follow(invitee, invitee.get_by_role("button", name="Create my account and join"))
    assert invitee.get_by_text("too short").first.is_visible()
    screenshot(invitee, "backoffice-invitation-weak-password-phone")
    invitee.get_by_label("Choose a password").fill(NEW_PASSWORD)
    invitee.get_by_label("Password again").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create my account and join").click()
    invitee.wait_for_url(live_server.url + "/backoffice/")
    assert invitee.get_by_text("Welcome to Acme Studio.").is_visible()
    assert (
        Membership.objects.get(business=world.business, user__username="robin@example.test").role
        == "admin"
    )

    # Later, on another device: sign in with the password only Robin knows.
    invitee.context.clear_cookies()
    invitee.goto(live_server.url + "/backoffice/login/")
    assert invitee.get_by_role("link", name="Forgot password?").is_visible()
    screenshot(invitee, "backoffice-login-phone")
    invitee.get_by_label("Email").fill("Robin@Example.test")
    invitee.get_by_label("Password").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Sign in").click()
    invitee.wait_for_url(live_server.url + "/backoffice/")
    invitee.goto(live_server.url + "/backoffice/settings/team/")
    assert_accessible(invitee)
    screenshot(invitee, "backoffice-team-phone")  # as an admin: no owner controls
    invitee.goto(live_server.url + "/backoffice/password/")
    assert_accessible(invitee)
    screenshot(invitee, "backoffice-password-change-phone")

    # The change-password page, from the header.
    follow(page, page.get_by_role("link", name="Password"))
    assert page.get_by_role("heading", name="Change your password").is_visible()
    assert_accessible(page)
    screenshot(page, "backoffice-password-change-desktop")


def test_forgot_password_pages(live_server, desktop_page):
    world_with_history()
    page = desktop_page
    page.goto(live_server.url + "/backoffice/login/")
    follow(page, page.get_by_role("link", name="Forgot password?"))
    assert_accessible(page)
    page.get_by_label("Email").fill("owner@acme.test")
    follow(page, page.get_by_role("button", name="Send the link"))
    assert page.get_by_role("heading", name="Check your email").is_visible()
    from slotwise.backoffice.views.auth import reset_mails_wait

    reset_mails_wait()  # the email is handed over after the answer
    found = re.search(r"http://\S+(/backoffice/new-password/\S+/)", mail.outbox[-1].body)
    assert found, [(m.subject, m.to, m.body[:300]) for m in mail.outbox]
    link = found.group(1)
    page.goto(live_server.url + link)
    assert page.get_by_role("heading", name="Choose a new password").is_visible()
    assert_accessible(page)
    screenshot(page, "backoffice-password-reset-desktop")
