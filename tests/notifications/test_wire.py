"""``transport.wire_bytes``: the bytes the worker hands to the SMTP server.

They are written directly instead of through ``email.message`` (which took longer than
rendering), so every kind of email is checked against what Django itself would have sent:
the same structure, the same headers and the same decoded content.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from django.core.mail import EmailMultiAlternatives

from slotwise.bookings import actions
from slotwise.bookings.actor import Actor
from slotwise.bookings.policy import SelfServicePolicy
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from slotwise.notifications.transport import wire_bytes
from tests import factories

K = Message.Kind
BOTH = SelfServicePolicy(allow_cancel=True, allow_reschedule=True, change_deadline_minutes=1440)
HEADERS = ("Subject", "From", "To", "Reply-To", "Message-ID", "Auto-Submitted", "MIME-Version")


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def django_bytes(msg: EmailMultiAlternatives) -> bytes:
    return msg.message(policy=email.policy.SMTP).as_bytes()


def assert_same_email(ours: bytes, django: bytes) -> None:
    a, b = parse(ours), parse(django)
    assert not a.defects, a.defects
    for name in HEADERS:
        assert str(a[name]) == str(b[name]), name
    assert a["Date"].datetime is not None
    shape_a = [p.get_content_type() for p in a.walk()]
    assert shape_a == [p.get_content_type() for p in b.walk()]
    for pa, pb in zip(a.walk(), b.walk(), strict=True):
        assert not pa.defects, (pa.get_content_type(), pa.defects)
        if not pa.is_multipart():
            assert pa.get_content() == pb.get_content(), pa.get_content_type()
            assert pa.get_params() == pb.get_params()
            assert pa.get_content_disposition() == pb.get_content_disposition()
    assert all(len(line) <= 998 for line in ours.split(b"\r\n"))
    assert b"\n" not in ours.replace(b"\r\n", b"")  # CRLF line ends only, as SMTP wants


def every_kind(world) -> list[Message]:
    """A booking made, rescheduled to another provider, completed and another cancelled."""
    now = factories.local(world.business, 2030, 6, 1, 12)
    booking = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 6, 4, 14),
        policy=BOTH,
        now=now,
    )
    actions.booking_reschedule(
        booking_id=booking.pk,
        actor=Actor.system("desk"),
        new_start=factories.local(world.business, 2030, 6, 5, 14),
        new_provider=world.blake,
        now=now,
    )
    other = factories.custom_booking(
        world.business,
        service=world.service,
        provider=world.alex,
        customer=world.customer,
        start=factories.local(world.business, 2030, 6, 6, 10),
        policy=BOTH,
        now=now,
    )
    actions.booking_cancel(booking_id=other.pk, actor=Actor.system("desk"), now=now)
    return list(Message.objects.filter(channel=Message.Channel.EMAIL).order_by("pk"))


def test_every_kind_is_what_django_would_send(world):
    rows = every_kind(world)
    kinds = {m.kind for m in rows}
    assert {K.CONFIRMATION, K.RESCHEDULED, K.CANCELLED, K.REMINDER, K.STAFF_CREATED} <= kinds
    now = factories.local(world.business, 2030, 6, 1, 12)
    for row in rows:
        built = build_email(row, now=now)
        assert_same_email(wire_bytes(built), django_bytes(built))


def test_non_ascii_and_long_headers_are_encoded_and_folded(world):
    world.business.name = "Salon Élodie & Søren — Friseure für Groß und Klein, Zweigstelle Nord"
    world.business.save()
    world.customer.name = "Zoë Ångström"
    world.customer.save()
    (row, *_) = every_kind(world)
    built = build_email(row, now=factories.local(world.business, 2030, 6, 1, 12))
    ours = wire_bytes(built)
    assert ours.isascii()  # 7-bit throughout: no server needs 8BITMIME for it
    assert all(len(line) <= 78 for line in ours.split(b"\r\n\r\n", 1)[0].split(b"\r\n"))
    assert_same_email(ours, django_bytes(built))
    assert "Élodie" in str(parse(ours)["From"])


def test_a_plain_email_of_another_shape_goes_through_the_email_package():
    msg = EmailMultiAlternatives(
        subject="Hello",
        body="Just text ✓",
        from_email="a@example.test",
        to=["b@example.test"],
        headers={"Message-ID": "<one@example.test>"},  # else each serialization makes one
    )
    assert_same_email(wire_bytes(msg), django_bytes(msg))


def test_a_header_with_a_line_break_is_refused_as_django_refuses_it():
    msg = EmailMultiAlternatives(
        subject="Hi\nBcc: victim@example.test",
        body="x",
        from_email="a@example.test",
        to=["b@example.test"],
    )
    msg.attach_alternative("<p>x</p>", "text/html")
    with pytest.raises(ValueError):
        wire_bytes(msg)
