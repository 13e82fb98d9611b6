"""``manage.py create_business``: a new business with its owner login and default settings.

No password is printed or chosen for the owner: they get an email with a one-time link to
set their own (printed here instead when ``EMAIL_URL`` is the console, i.e. no mail server).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from slotwise.core import errors
from slotwise.core.services import business_create

CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"


def set_password_link(user: Any) -> str:
    """A one-time link to choose a password (the "forgot password" link; valid for
    ``PASSWORD_RESET_TIMEOUT``, 3 days by default, and only until a password is set)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("backoffice:password_reset_confirm", kwargs={"token": token, "uidb64": uid})
    return settings.SITE_URL + path


class Command(BaseCommand):
    help = (
        "Create a business and its owner. The owner is emailed a link to set their password "
        "(printed instead when EMAIL_URL is the console)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--slug", required=True, help="Short name used in links, e.g. acme")
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", required=True, help="IANA name, e.g. Europe/Berlin")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument(
            "--owner-password",
            default=None,
            help="Set the owner's password now (Django's password rules apply) instead of "
            "sending a link.",
        )
        parser.add_argument("--currency", default="EUR")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            business, needs_password = business_create(
                slug=o["slug"],
                name=o["name"],
                timezone=o["timezone"],
                owner_email=o["owner_email"],
                owner_password=o["owner_password"],
                currency=o["currency"],
            )
        except errors.DomainError as exc:
            raise CommandError(exc.message) from None
        owner = business.memberships.get().user
        self.stdout.write(
            f"Created business {business.slug!r} ({business.name}, {business.timezone})."
        )
        self.stdout.write(f"Owner login: {owner.email}")
        if needs_password is None:
            if o["owner_password"] is None:
                self.stdout.write("The owner already had an account and signs in with it.")
            return
        link = set_password_link(needs_password)
        if settings.EMAIL_BACKEND == CONSOLE_BACKEND:
            self.stdout.write("No mail server is configured (EMAIL_URL is the console).")
            self.stdout.write(f"One-time link for the owner to set a password: {link}")
            return
        context = {"business": business, "link": link, "site_url": settings.SITE_URL}
        try:
            mail.send_mail(
                f"Set your password for {business.name} on Slotwise",
                render_to_string("core/email/owner_welcome.txt", context),
                settings.DEFAULT_FROM_EMAIL,
                [owner.email],
                fail_silently=False,
            )
        except Exception as exc:
            self.stderr.write(
                f"The email to {owner.email} could not be sent ({type(exc).__name__}: {exc}). "
                "The owner can use “Forgot password?” on the sign-in page once mail works."
            )
            return
        self.stdout.write(f"Emailed {owner.email} a link to set their password.")
