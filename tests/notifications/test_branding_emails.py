"""HTML emails in the business's colours, with its logo by absolute URL; the Slotwise look
when it set none; the text part untouched (docs/guide.md, "Branding")."""

from __future__ import annotations

import pytest

from slotwise.bookings import actions
from slotwise.bookings.actions import waitlist as wl
from slotwise.bookings.models import BookingPage
from slotwise.core.clock import utcnow
from slotwise.core.services import business_branding_save
from slotwise.notifications.models import Message
from slotwise.notifications.render import build_email
from tests.notifications.test_render import BOTH, SITE, K, at, book, html_of, message
from tests.support.images import upload


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def confirmation(world):
    return build_email(message(book(world, policy=BOTH), K.CONFIRMATION), now=at(world, 1, 12))


def test_a_branded_email_has_the_logo_by_absolute_url_and_the_accent(world):
    business = business_branding_save(
        business=world.business, changes={"accent_color": "#0b6e4f"}, images={"logo": upload()}
    )
    html = html_of(confirmation(world))
    assert f'<img src="{SITE}{business.logo.url}" alt="" height="40"' in html
    assert "border-top:4px solid #0b6e4f;" in html
    # The buttons (reschedule) take the accent; the cancel button keeps its warning red.
    assert "background-color:#0b6e4f;border:2px solid #0b6e4f;" in html
    assert "#1d4ed8" not in html
    assert "border:2px solid #b91c1c;" in html


def test_an_unbranded_email_keeps_the_slotwise_look(world):
    html = html_of(confirmation(world))
    assert "<img" not in html and "border-top:4px" not in html
    assert "background-color:#1d4ed8;border:2px solid #1d4ed8;" in html
    assert 'font-weight:600;color:#4b5563;">Acme Studio</td>' in html


def test_the_text_part_names_the_business_and_nothing_else_of_the_branding(world):
    business_branding_save(
        business=world.business,
        changes={"accent_color": "#0b6e4f", "description": "Since 1998"},
        images={"logo": upload()},
    )
    text = confirmation(world).body
    assert text.startswith("Acme Studio\n")
    assert "#0b6e4f" not in text and "/media/" not in text and "Since 1998" not in text


def test_waitlist_emails_are_branded_too(world):
    business_branding_save(business=world.business, changes={"accent_color": "#8a1538"}, images={})
    BookingPage.objects.filter(pk=world.page.pk).update(waitlist=True)
    world.page.refresh_from_db()
    wl.waitlist_join(
        page=world.page,
        service_id=world.service.pk,
        provider_id=None,
        windows=[{"start": "2030-01-20", "end": "2030-01-20"}],
        customer=actions.CustomerDetails(name="Dana", email="dana@example.test"),
        now=utcnow(),
    )
    row = Message.objects.get(kind=Message.Kind.WAITLIST_JOINED)
    html = html_of(build_email(row, now=utcnow()))
    assert "border-top:4px solid #8a1538;" in html
