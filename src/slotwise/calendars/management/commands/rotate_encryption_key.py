"""``manage.py rotate_encryption_key``: re-encrypt every stored calendar password with the
first key of ``SLOTWISE_ENCRYPTION_KEY`` (see docs/calendars.md, "Encryption key")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from slotwise.calendars import crypto
from slotwise.calendars.models import CalendarConnection


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored calendar passwords with the first key of "
        "SLOTWISE_ENCRYPTION_KEY; the old keys may be removed afterwards."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = unreadable = 0
        with transaction.atomic():
            rows = CalendarConnection.objects.select_for_update().exclude(password_encrypted="")
            for connection in rows:
                try:
                    token = crypto.reencrypt(connection.password_encrypted)
                except crypto.UnreadableSecret:
                    unreadable += 1
                    self.stderr.write(
                        f"connection {connection.pk}: no configured key opens its password"
                    )
                    continue
                CalendarConnection.objects.filter(pk=connection.pk).update(password_encrypted=token)
                done += 1
        self.stdout.write(f"{done} password(s) re-encrypted with the first key.")
        if unreadable:
            raise CommandError(
                f"{unreadable} password(s) could not be read: keep the old key in the list "
                "until they are re-entered."
            )
