"""Calendar passwords at rest: Fernet, keys from SLOTWISE_ENCRYPTION_KEY, rotation."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from slotwise.calendars import crypto
from slotwise.calendars.models import CalendarConnection

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_round_trip_with_the_key_derived_from_secret_key(settings):
    settings.SLOTWISE_ENCRYPTION_KEY = ""
    token = crypto.encrypt("app password ü")
    assert "app password" not in token
    assert crypto.decrypt(token) == "app password ü"
    settings.SECRET_KEY = "another secret key entirely, long enough for Django"
    with pytest.raises(crypto.UnreadableSecret):
        crypto.decrypt(token)


def test_passphrases_are_stretched_into_keys(settings):
    settings.SLOTWISE_ENCRYPTION_KEY = "correct horse battery staple"
    assert crypto.decrypt(crypto.encrypt("pw")) == "pw"


def test_the_first_key_encrypts_and_every_key_decrypts(settings):
    settings.SLOTWISE_ENCRYPTION_KEY = OLD
    old_token = crypto.encrypt("pw")
    settings.SLOTWISE_ENCRYPTION_KEY = f"{NEW}, {OLD}"
    assert crypto.decrypt(old_token) == "pw"
    new_token = crypto.encrypt("pw")
    settings.SLOTWISE_ENCRYPTION_KEY = NEW
    assert crypto.decrypt(new_token) == "pw"
    with pytest.raises(crypto.UnreadableSecret):
        crypto.decrypt(old_token)


def test_rotate_encryption_key_re_encrypts_every_password(world, settings):
    settings.SLOTWISE_ENCRYPTION_KEY = OLD
    connection = CalendarConnection.objects.create(
        business=world.business,
        provider=world.alex,
        kind="caldav",
        url="https://dav.example.com/",
        username="alex",
        password_encrypted=crypto.encrypt("pw"),
    )
    settings.SLOTWISE_ENCRYPTION_KEY = f"{NEW},{OLD}"
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert "1 password(s) re-encrypted" in out.getvalue()
    settings.SLOTWISE_ENCRYPTION_KEY = NEW
    connection.refresh_from_db()
    assert crypto.decrypt(connection.password_encrypted) == "pw"


def test_rotate_says_which_passwords_no_key_opens(world, settings):
    settings.SLOTWISE_ENCRYPTION_KEY = OLD
    CalendarConnection.objects.create(
        business=world.business,
        provider=world.alex,
        kind="caldav",
        url="https://dav.example.com/",
        username="alex",
        password_encrypted=crypto.encrypt("pw"),
    )
    settings.SLOTWISE_ENCRYPTION_KEY = NEW
    with pytest.raises(CommandError, match="could not be read"):
        call_command("rotate_encryption_key", stdout=io.StringIO(), stderr=io.StringIO())
