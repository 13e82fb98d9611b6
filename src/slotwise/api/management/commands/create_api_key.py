"""``manage.py create_api_key --business SLUG [--name NAME]``: the key is the last output line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slotwise.core.api_keys import api_key_create
from slotwise.core.clock import utcnow
from slotwise.core.errors import DomainError
from slotwise.core.models import Business


class Command(BaseCommand):
    help = "Create an API key for a business and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--business", required=True, help="The business's slug.")
        parser.add_argument("--name", default="API key", help="A name to recognise the key by.")

    def handle(self, *args: Any, **options: Any) -> None:
        business = Business.objects.filter(slug=options["business"]).first()
        if business is None:
            raise CommandError(f"No business with slug {options['business']!r}.")
        try:
            key, raw = api_key_create(business=business, name=options["name"], now=utcnow())
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Created API key {key.name!r} (sw_{key.prefix}_…) for {business.name}. "
            "Store it now; it cannot be shown again."
        )
        self.stdout.write(raw)
