"""Passwords: "Forgot password?", changing one's own, and the sign-in throttle keyed by the one
normalised spelling of the email (docs/guide.md, "Team, invitations and passwords")."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections
from django.test import Client
from django.urls import reverse

from slotwise.backoffice.views.auth import LOGIN_LIMIT, RESET_EMAIL_LIMIT, reset_mails_wait
from tests import factories
from tests.support.limits import forget_limits

LOGIN = reverse("backoffice:login")
RESET = reverse("backoffice:password_reset")
CHANGE = reverse("backoffice:password_change")
RIGHT = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Any:
    forget_limits()
    # Limits count in fixed ten-minute windows: start well inside one, so a test never
    # straddles two (each would have its own count).
    with time_machine.travel(datetime(2030, 6, 3, 12, 3, tzinfo=UTC), tick=True):
        yield
    forget_limits()


def reset_link(mail: Any) -> str:
    match = re.search(r"http://\S+(/backoffice/new-password/\S+/)", mail.body)
    assert match, mail.body
    return match.group(1)


# --- forgot password ------------------------------------------------------------------------


def test_login_page_offers_forgot_password(client, db):
    assert f'href="{RESET}"' in client.get(LOGIN).content.decode()


def test_reset_answers_the_same_whether_the_address_exists(client, world, mailoutbox):
    known = client.post(RESET, {"email": "owner@acme.test"})
    unknown = client.post(RESET, {"email": "nobody@acme.test"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("backoffice:password_reset_done")
    reset_mails_wait()  # sent after the answer (test_reset_timing.py)
    (mail,) = mailoutbox
    assert mail.to == ["owner@acme.test"]


def test_reset_link_sets_a_valid_password_once_and_ends_other_sessions(world, mailoutbox):
    elsewhere = Client()
    elsewhere.post(LOGIN, {"username": "owner@acme.test", "password": RIGHT})
    assert elsewhere.get("/backoffice/").status_code == 200
    Client().post(RESET, {"email": "ＯＷＮＥＲ@acme.test"})  # full-width: the same address
    reset_mails_wait()
    link = reset_link(mailoutbox[0])
    client = Client()
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    url = form.redirect_chain[-1][0]
    weak = client.post(url, {"new_password1": "1", "new_password2": "1"})
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    done = client.post(
        url, {"new_password1": "n3w-and-long-pass", "new_password2": "n3w-and-long-pass"}
    )
    assert done["Location"] == reverse("backoffice:password_reset_complete")
    user = get_user_model().objects.get(username="owner@acme.test")
    assert user.check_password("n3w-and-long-pass")
    assert elsewhere.get("/backoffice/").status_code == 302  # signed out there
    assert "no longer works" in Client().get(link, follow=True).content.decode()


def test_reset_is_limited_per_address_asked_for(world, mailoutbox):
    for n in range(RESET_EMAIL_LIMIT):
        assert (
            Client(REMOTE_ADDR=f"10.1.0.{n}").post(RESET, {"email": "owner@acme.test"}).status_code
            == 302
        )
    # Another spelling of the same address, from yet another client: the same counter.
    refused = Client(REMOTE_ADDR="10.1.1.1").post(RESET, {"email": "Owner@ACME.test"})
    assert refused.status_code == 429 and "Too many requests" in refused.content.decode()
    reset_mails_wait()
    assert len(mailoutbox) == RESET_EMAIL_LIMIT
    # The counting does not depend on the address having an account.
    for n in range(RESET_EMAIL_LIMIT):
        Client(REMOTE_ADDR=f"10.2.0.{n}").post(RESET, {"email": "ghost@acme.test"})
    assert (
        Client(REMOTE_ADDR="10.2.1.1").post(RESET, {"email": "ghost@acme.test"}).status_code == 429
    )


def test_reset_is_limited_per_client_address(world, mailoutbox):
    client = Client(REMOTE_ADDR="10.3.0.1")
    statuses = [client.post(RESET, {"email": f"p{n}@acme.test"}).status_code for n in range(21)]
    assert statuses[:20] == [302] * 20 and statuses[20] == 429


# --- change password ------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(world):
    here, there = Client(), Client()
    for c in (here, there):
        c.post(LOGIN, {"username": "owner@acme.test", "password": RIGHT})
    page = here.get("/backoffice/").content.decode()
    assert f'href="{CHANGE}"' in page  # in the header, next to "Sign out"
    wrong = here.post(CHANGE, {"old_password": "nope", "new_password1": "x", "new_password2": "x"})
    assert wrong.status_code == 200 and "incorrect" in wrong.content.decode()
    weak = here.post(CHANGE, {"old_password": RIGHT, "new_password1": "1", "new_password2": "1"})
    assert "too short" in weak.content.decode()
    new = "brand-new-long-pass"
    done = here.post(
        CHANGE, {"old_password": RIGHT, "new_password1": new, "new_password2": new}, follow=True
    )
    assert "Other devices were signed out" in done.content.decode()
    assert here.get("/backoffice/").status_code == 200
    assert there.get("/backoffice/").status_code == 302
    assert get_user_model().objects.get(username="owner@acme.test").check_password(new)


def test_change_password_needs_sign_in(client, db):
    response = client.get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- sign-in throttle -----------------------------------------------------------------------


def test_sign_in_normalises_the_email(world):
    """Upper case and full-width spellings are the same account (the old login only applied
    NFKC, so an upper-case address was "not found")."""
    for spelling in ("Owner@Acme.TEST", "ｏｗｎｅｒ＠ａｃｍｅ．ｔｅｓｔ"):
        client = Client()
        assert client.post(LOGIN, {"username": spelling, "password": RIGHT}).status_code == 302


def test_full_width_spelling_hits_the_same_lock(world):
    """The old counter keyed the raw lower-cased text: full-width letters got a fresh counter
    while the login folded them to the same account."""
    for n in range(LOGIN_LIMIT):
        Client(REMOTE_ADDR=f"10.4.0.{n}").post(
            LOGIN, {"username": "owner@acme.test", "password": "no"}
        )
    other_spelling = "ｏｗｎｅｒ＠ａｃｍｅ．ｔｅｓｔ"
    response = Client(REMOTE_ADDR="10.4.1.1").post(
        LOGIN, {"username": other_spelling, "password": RIGHT}
    )
    assert response.status_code == 429


def test_successful_sign_ins_do_not_use_up_the_office_address(world):
    """Counting before the check must not lock out an office of people signing in correctly."""
    for _ in range(LOGIN_LIMIT * 2):
        client = Client(REMOTE_ADDR="10.5.0.1")
        assert (
            client.post(LOGIN, {"username": "owner@acme.test", "password": RIGHT}).status_code
            == 302
        )


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_get_at_most_the_limit(monkeypatch):
    """24 wrong passwords at once: at most LOGIN_LIMIT reach the password check.

    The old view checked the count first and added to it after the (slow, Argon2) check, so
    every parallel request passed the check before any failure was counted.
    """
    forget_limits()
    factories.make_business("tide", "UTC")
    checked: list[int] = []
    real = ModelBackend.authenticate

    def slow_check(
        self: Any, request: Any, username: Any = None, password: Any = None, **kw: Any
    ) -> Any:
        checked.append(1)
        time.sleep(0.3)  # as slow as a real password hash under load
        return real(self, request, username=username, password=password, **kw)

    monkeypatch.setattr(ModelBackend, "authenticate", slow_check)
    barrier = threading.Barrier(24)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        try:
            client = Client(REMOTE_ADDR=f"10.6.{n}.1")
            barrier.wait()
            statuses.append(
                client.post(
                    LOGIN, {"username": "owner@tide.test", "password": f"guess{n}"}
                ).status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(24)]
    # Well inside one counting window (they are fixed ten-minute windows).
    with time_machine.travel(datetime(2030, 6, 3, 12, 3, tzinfo=UTC), tick=True):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(statuses) == 24
    assert len(checked) <= LOGIN_LIMIT
    assert statuses.count(200) == len(checked) and statuses.count(429) == 24 - len(checked)
    forget_limits()
