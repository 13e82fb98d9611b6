"""The team form, the business profile and the provider form use the one address rule of
core/validators.py (docs/api.md, "Input rules"): one mailbox, no list, no quoted local part,
no control characters. Django's own EmailField accepts ``"a,b"@example.test`` (a quoted local
part), which the old team and business forms let through.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from slotwise.catalog.models import Provider
from slotwise.core import errors
from slotwise.core.models import Business, Invitation
from slotwise.core.services import business_create

pytestmark = pytest.mark.django_db

REFUSED = ['"a,b"@example.test', '"a\x01b"@example.test', "a@b@example.test", "a@x.test, b@y.test"]


def _profile(**changes: object) -> dict[str, object]:
    return {
        "name": "Acme Hair",
        "timezone": "Europe/Lisbon",
        "contact_email": "hi@acme.test",
        "phone": "",
        "address": "",
        "currency": "EUR",
        "slot_step_minutes": 15,
        "min_notice_minutes": 60,
        "max_days_ahead": 90,
        **changes,
    }


@pytest.mark.parametrize("address", REFUSED)
def test_team_form_refuses_what_the_address_rule_refuses(owner_client, world, mailoutbox, address):
    page = owner_client.post(
        reverse("backoffice:settings_team"), {"email": address, "role": "staff"}
    )
    assert page.status_code == 200
    assert "one valid email address" in page.content.decode()
    assert not Invitation.objects.exists() and not mailoutbox


@pytest.mark.parametrize("address", REFUSED)
def test_business_contact_email_follows_the_address_rule(owner_client, world, address):
    page = owner_client.post(
        reverse("backoffice:settings_business"), _profile(contact_email=address)
    )
    assert page.status_code == 200
    assert "one valid email address" in page.content.decode()
    world.business.refresh_from_db()
    assert world.business.name != "Acme Hair"


def test_business_profile_keeps_a_good_or_empty_address_and_refuses_control_characters(
    owner_client, world
):
    url = reverse("backoffice:settings_business")
    assert owner_client.post(url, _profile(contact_email="")).status_code == 302
    assert owner_client.post(url, _profile(contact_email=" hi@acme.test ")).status_code == 302
    world.business.refresh_from_db()
    assert world.business.contact_email == "hi@acme.test"
    bad = owner_client.post(url, _profile(name="Acme\r\nBcc: x@evil.test"))
    assert bad.status_code == 200 and "control characters" in bad.content.decode()


@pytest.mark.parametrize("address", REFUSED)
def test_provider_email_follows_the_address_rule(owner_client, world, address):
    page = owner_client.post(
        reverse("backoffice:settings_provider_new"),
        {"name": "Cleo", "email": address, "phone": "", "services": [world.service.pk]},
    )
    assert page.status_code == 200
    assert not Provider.objects.filter(name="Cleo").exists()


@pytest.mark.parametrize("address", REFUSED)
def test_create_business_refuses_such_owner_and_contact_addresses(address):
    with pytest.raises(errors.InvalidInput):
        business_create(slug="zed", name="Zed", timezone="UTC", owner_email=address)
    with pytest.raises(errors.InvalidInput):
        business_create(
            slug="zed",
            name="Zed",
            timezone="UTC",
            owner_email="owner@zed.test",
            contact_email=address,
            owner_password="a-long-enough-pass-99",
        )
    assert not Business.objects.filter(slug="zed").exists()


@pytest.mark.parametrize("name", ["Robin\r\nVale", "Robin\u202eelaV", "Robin\x00"])
def test_an_invitees_name_refuses_control_characters(owner_client, world, mailoutbox, name):
    """The name is shown on the team page; it took any character before."""
    import re

    from django.contrib.auth import get_user_model
    from django.test import Client

    from slotwise.core.clock import utcnow
    from slotwise.core.services import invitation_accept_new_account

    owner_client.post(
        reverse("backoffice:settings_team"), {"email": "robin@example.test", "role": "staff"}
    )
    (mail,) = mailoutbox
    token = re.search(r"/backoffice/join/([^/\s]+)/", mail.body).group(1)
    password = "a-fine-pass-for-me"
    page = Client().post(
        reverse("backoffice:invitation", args=[token]),
        {"name": name, "new_password1": password, "new_password2": password},
    )
    assert page.status_code == 200 and "control characters" in page.content.decode()
    with pytest.raises(errors.InvalidInput):
        invitation_accept_new_account(raw_token=token, name=name, password=password, now=utcnow())
    assert not get_user_model().objects.filter(username="robin@example.test").exists()
