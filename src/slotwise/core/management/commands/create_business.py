"""``manage.py create_business``: a new business with its owner login and default settings."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from slotwise.core import errors
from slotwise.core.services import business_create


class Command(BaseCommand):
    help = "Create a business and its owner. Prints a generated password when none is given."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--slug", required=True, help="Short name used in links, e.g. acme")
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", required=True, help="IANA name, e.g. Europe/Berlin")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", default=None)
        parser.add_argument("--currency", default="EUR")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            business, generated = business_create(
                slug=o["slug"],
                name=o["name"],
                timezone=o["timezone"],
                owner_email=o["owner_email"],
                owner_password=o["owner_password"],
                currency=o["currency"],
            )
        except errors.DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Created business {business.slug!r} ({business.name}, {business.timezone})."
        )
        self.stdout.write(f"Owner login: {o['owner_email']}")
        if generated:
            self.stdout.write(f"Generated password: {generated}")
