""" "Forgot password?" answers before the email is handed to the mail server, so the answer's
time does not tell whether the address has an account (an SMTP exchange takes from tens of
milliseconds to seconds; an unknown address sends nothing). See docs/reliability.md, "Abuse:
accounts, customers and input".

Before, Django's reset view sent the email inside the request: against a real mail server the
answer for a known address came measurably later than for an unknown one.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse

from slotwise.backoffice.views.auth import reset_mails_wait
from tests.support.limits import forget_limits

RESET = reverse("backoffice:password_reset")

#: Set by the test when it has seen the answer; the mail server "answers" only then.
release = threading.Event()
sending = threading.Event()


class HeldBackend(EmailBackend):
    """A mail server that holds every message until the test releases it."""

    def send_messages(self, messages: Any) -> int:
        sending.set()
        release.wait(10)
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def _held_mail(settings: Any, db: None) -> Any:
    settings.EMAIL_BACKEND = f"{__name__}.HeldBackend"
    forget_limits()
    release.clear()
    sending.clear()
    yield
    release.set()
    reset_mails_wait()
    forget_limits()


def test_the_answer_does_not_wait_for_the_mail_server(world: Any) -> None:
    mail.outbox = []
    response = Client(REMOTE_ADDR="10.9.0.1").post(RESET, {"email": "owner@acme.test"})
    assert response.status_code == 302
    # The answer came while the mail server still held the message.
    assert sending.wait(5) and not mail.outbox
    release.set()
    reset_mails_wait()
    (sent,) = mail.outbox
    assert sent.to == ["owner@acme.test"] and "/backoffice/new-password/" in sent.body


def test_a_failing_mail_server_changes_nothing_in_the_answer(world: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.backoffice.test_reset_timing.BrokenBackend"
    known = Client(REMOTE_ADDR="10.9.0.2").post(RESET, {"email": "owner@acme.test"})
    unknown = Client(REMOTE_ADDR="10.9.0.3").post(RESET, {"email": "ghost@acme.test"})
    reset_mails_wait()
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


class BrokenBackend(EmailBackend):
    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")
