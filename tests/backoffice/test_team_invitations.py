"""Team members join by invitation: nobody but the person ever chooses or sees their password.

Each test here failed on the old team page, which created an account for any email, showed
its first password to whoever typed the address, and attached an existing account silently
(telling the business it existed). See docs/guide.md, "Team, invitations and passwords".
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from slotwise.core.clock import utcnow
from slotwise.core.models import Invitation, Membership
from tests.conftest import World
from tests.support.limits import forget_limits

TEAM = reverse("backoffice:settings_team")
PASSWORD = "a-fine-pass-for-me"


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Any:
    forget_limits()
    # Limits count in fixed ten-minute windows: start well inside one, so a test never
    # straddles two (each would have its own count).
    with time_machine.travel(datetime(2030, 6, 3, 12, 3, tzinfo=UTC), tick=True):
        yield
    forget_limits()


def invite(client: Client, email: str, role: str = "staff") -> str:
    """Post the invite form; the flash message shown afterwards."""
    page = client.post(TEAM, {"email": email, "role": role}, follow=True)
    assert page.status_code == 200
    return " ".join(re.findall(r'<p class="flash[^"]*">([^<]*)</p>', page.content.decode()))


def link_token(mail: Any) -> str:
    match = re.search(r"http://\S+/backoffice/join/([^/\s]+)/", mail.body)
    assert match, mail.body
    return match.group(1)


def join_url(token: str) -> str:
    return reverse("backoffice:invitation", args=[token])


def signup(token: str, password: str = PASSWORD, name: str = "Robin Vale") -> Any:
    client = Client()
    response = client.post(
        join_url(token), {"name": name, "new_password1": password, "new_password2": password}
    )
    return client, response


def owner_of(world: World) -> Any:
    return get_user_model().objects.get(username=f"owner@{world.business.slug}.test")


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_member(world: World, email: str, role: str) -> Any:
    user = get_user_model().objects.create_user(
        username=email, email=email, password="another-long-password"
    )
    Membership.objects.create(business=world.business, user=user, role=role)
    return user


# --- inviting ---------------------------------------------------------------------------------


def test_inviting_sends_a_one_time_link_and_shows_no_password(owner_client, world, mailoutbox):
    flash = invite(owner_client, "Robin@Example.test")
    assert flash == "Invitation sent to robin@example.test."
    assert not get_user_model().objects.filter(username="robin@example.test").exists()
    assert not Membership.objects.filter(business=world.business, user__email__icontains="robin")
    (mail,) = mailoutbox
    assert mail.to == ["robin@example.test"] and "Acme Studio" in mail.subject
    token = link_token(mail)
    assert len(token) >= 43  # 256 random bits, base64
    invitation = Invitation.objects.get(business=world.business, email="robin@example.test")
    # Only the hash is kept.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(Invitation.objects.values()))
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    team = owner_client.get(TEAM).content.decode()
    assert "robin@example.test" in team and "Link works until" in team


def test_the_answer_is_the_same_whether_the_account_exists(owner_client, world, mailoutbox):
    """The old page said "first password is …" for a new address and plain "added" for a known
    one, and attached the known account at once."""
    outsider = get_user_model().objects.create_user(
        username="known@example.test", email="known@example.test", password="their-own-secret"
    )
    known = invite(owner_client, "known@example.test")
    new = invite(owner_client, "unknown@example.test")
    assert known.replace("known@", "X@") == new.replace("unknown@", "X@")
    assert not Membership.objects.filter(user=outsider).exists()
    assert len(mailoutbox) == 2
    body = mailoutbox[0].body
    assert body.replace("known@", "X@") == mailoutbox[1].body.replace("unknown@", "X@").replace(
        link_token(mailoutbox[1]), link_token(mailoutbox[0])
    )


def test_new_person_chooses_their_password_and_lands_in_the_business(
    owner_client, world, mailoutbox
):
    invite(owner_client, "robin@example.test", role="admin")
    token = link_token(mailoutbox[0])
    before = (get_user_model().objects.count(), Membership.objects.count())
    page = Client().get(join_url(token))  # a mail scanner opens the link: nothing changes
    assert page.status_code == 200
    assert "Join Acme Studio" in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert (get_user_model().objects.count(), Membership.objects.count()) == before
    _client, weak = signup(token, password="1")
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    assert (get_user_model().objects.count(), Membership.objects.count()) == before
    client, done = signup(token)
    assert done.status_code == 302 and done["Location"] == "/backoffice/"
    user = get_user_model().objects.get(username="robin@example.test")
    assert user.check_password(PASSWORD) and user.get_full_name() == "Robin Vale"
    assert Membership.objects.get(business=world.business, user=user).role == "admin"
    assert "Welcome to Acme Studio" in client.get("/backoffice/").content.decode()
    # Used once: the link is dead, for this person and anyone else.
    again = Client().get(join_url(token))
    assert again.status_code == 410 and "already been accepted" in again.content.decode()
    assert signup(token, name="Mallory")[1].status_code == 410
    assert get_user_model().objects.filter(username="robin@example.test").count() == 1


def test_a_second_business_inviting_an_existing_person_needs_their_consent(
    owner_client, world, other_world, mailoutbox
):
    """Acme invites Robin, who sets a password only Robin knows. Globex invites the same email:
    Robin must accept while signed in; Acme sees nothing of it."""
    invite(owner_client, "robin@example.test")
    signup(link_token(mailoutbox[0]))
    robin = get_user_model().objects.get(username="robin@example.test")
    globex = client_of(owner_of(other_world))
    flash = invite(globex, "robin@example.test")
    assert flash == "Invitation sent to robin@example.test."
    assert not Membership.objects.filter(business=other_world.business, user=robin).exists()
    token = link_token(mailoutbox[-1])
    # Not signed in: asked to sign in (no password form for an existing account).
    page = Client().get(join_url(token)).content.decode()
    assert "Sign in to accept" in page and "new_password1" not in page
    # A password typed there would not be taken.
    signup(token, password="a-new-password-for-robin")
    assert not Membership.objects.filter(business=other_world.business, user=robin).exists()
    robin.refresh_from_db()
    assert robin.check_password(PASSWORD)
    # Someone else signed in cannot take it.
    bystander = client_of(add_member(world, "desk@acme.test", "staff"))
    bystander.post(join_url(token))
    assert not Membership.objects.filter(business=other_world.business).exclude(
        user=owner_of(other_world)
    )
    # Robin, signed in, accepts: GET shows the button, POST joins and switches to Globex.
    robin_client = Client()
    robin_client.post(
        reverse("backoffice:login"), {"username": "robin@example.test", "password": PASSWORD}
    )
    assert "Join Globex Studio" in robin_client.get(join_url(token)).content.decode()
    assert not Membership.objects.filter(business=other_world.business, user=robin).exists()
    robin_client.post(join_url(token))
    assert Membership.objects.get(business=other_world.business, user=robin).role == "staff"
    assert "Globex Studio" in robin_client.get("/backoffice/").content.decode()
    # Acme's pages say nothing about Globex.
    for url in ("/backoffice/", TEAM):
        assert "Globex" not in owner_client.get(url).content.decode()


def test_inviting_a_member_again_is_refused_on_the_form(owner_client, world, owner, mailoutbox):
    page = owner_client.post(TEAM, {"email": "OWNER@acme.test", "role": "staff"})
    assert "already in the team" in page.content.decode()
    assert not Invitation.objects.exists() and not mailoutbox


def test_expired_link_does_nothing(owner_client, world, mailoutbox):
    invite(owner_client, "robin@example.test")
    token = link_token(mailoutbox[0])
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1)):
        page = Client().get(join_url(token))
        assert page.status_code == 410 and "expired" in page.content.decode()
        assert signup(token)[1].status_code == 410
        assert "Expired" in owner_client.get(TEAM).content.decode()
    assert not get_user_model().objects.filter(username="robin@example.test").exists()


def test_revoked_and_replaced_links_stop_working(owner_client, world, mailoutbox):
    invite(owner_client, "robin@example.test")
    first = link_token(mailoutbox[0])
    invitation = Invitation.objects.get(email="robin@example.test")
    owner_client.post(reverse("backoffice:settings_invitation_resend", args=[invitation.pk]))
    second = link_token(mailoutbox[1])
    assert first != second
    assert Client().get(join_url(first)).status_code == 404  # its hash is gone
    assert Client().get(join_url(second)).status_code == 200
    flash = owner_client.post(
        reverse("backoffice:settings_invitation_revoke", args=[invitation.pk]), follow=True
    )
    assert "withdrawn" in flash.content.decode()
    assert Client().get(join_url(second)).status_code == 410
    assert signup(second)[1].status_code == 410
    assert not get_user_model().objects.filter(username="robin@example.test").exists()
    assert "robin@example.test" not in owner_client.get(TEAM).content.decode()


def test_a_failed_email_is_said_and_can_be_resent(owner_client, world, mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.backoffice.test_team_invitations.BrokenMail"
    flash = invite(owner_client, "robin@example.test")
    assert "could not be sent" in flash and "Resend" in flash
    assert "Email not sent" in owner_client.get(TEAM).content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invitation = Invitation.objects.get(email="robin@example.test")
    page = owner_client.post(
        reverse("backoffice:settings_invitation_resend", args=[invitation.pk]), follow=True
    )
    assert "Invitation sent to robin@example.test." in page.content.decode()
    assert signup(link_token(mailoutbox[0]))[1].status_code == 302


class BrokenMail:
    """An email backend whose server is down."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


def test_guessed_links_are_rate_limited(client, world):
    for n in range(10):
        assert client.get(join_url(f"guess-{n}")).status_code == 404
    assert client.get(join_url("guess-last")).status_code == 429


# --- roles that protect -------------------------------------------------------------------------


@pytest.fixture
def admin_client(world: World) -> Client:
    return client_of(add_member(world, "admin@acme.test", "admin"))


def _membership(world: World, email: str) -> Membership:
    return Membership.objects.get(business=world.business, user__username=email)


def test_admin_cannot_make_themselves_owner(admin_client, world):
    me = _membership(world, "admin@acme.test")
    page = admin_client.post(
        reverse("backoffice:settings_member_role", args=[me.pk]), {"role": "owner"}, follow=True
    )
    assert "Only an owner" in page.content.decode()
    me.refresh_from_db()
    assert me.role == "admin"


def test_admin_cannot_demote_or_remove_an_owner(admin_client, world):
    owner = _membership(world, "owner@acme.test")
    admin_client.post(
        reverse("backoffice:settings_member_role", args=[owner.pk]), {"role": "staff"}
    )
    page = admin_client.post(
        reverse("backoffice:settings_member_remove", args=[owner.pk]), follow=True
    )
    assert "Only an owner" in page.content.decode()
    owner.refresh_from_db()
    assert owner.role == "owner"


def test_admin_cannot_invite_an_owner_nor_see_the_choice(admin_client, world, mailoutbox):
    form = admin_client.get(TEAM).content.decode()
    assert '<option value="owner"' not in form
    admin_client.post(TEAM, {"email": "boss@example.test", "role": "owner"})
    assert not Invitation.objects.exists() and not mailoutbox


def test_owners_hand_over_but_the_last_owner_stays(owner_client, world, owner):
    deputy = add_member(world, "deputy@acme.test", "admin")
    mine = _membership(world, "owner@acme.test")
    page = owner_client.post(
        reverse("backoffice:settings_member_remove", args=[mine.pk]), follow=True
    )
    assert "at least one owner" in page.content.decode()
    theirs = _membership(world, "deputy@acme.test")
    owner_client.post(
        reverse("backoffice:settings_member_role", args=[theirs.pk]), {"role": "owner"}
    )
    owner_client.post(reverse("backoffice:settings_member_role", args=[mine.pk]), {"role": "admin"})
    assert Membership.objects.get(pk=theirs.pk, user=deputy).role == "owner"
    assert Membership.objects.get(pk=mine.pk).role == "admin"
    # Now an admin, the former owner cannot take it back.
    owner_client.post(reverse("backoffice:settings_member_role", args=[mine.pk]), {"role": "owner"})
    assert Membership.objects.get(pk=mine.pk).role == "admin"


# --- landing in the business used last ----------------------------------------------------------


def test_sign_in_lands_in_the_business_used_last(world, other_world):
    owner = owner_of(world)
    Membership.objects.create(business=other_world.business, user=owner, role="staff")
    client = Client()
    credentials = {"username": "owner@acme.test", "password": "a-long-test-password"}
    client.post(reverse("backoffice:login"), credentials)
    client.post(reverse("backoffice:switch"), {"business": other_world.business.pk})
    client.post(reverse("backoffice:logout"))
    client.post(reverse("backoffice:login"), credentials)
    client.get("/backoffice/")
    assert client.session["backoffice_business_id"] == other_world.business.pk
