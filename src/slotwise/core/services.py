"""Setting up a business (a tenant) with sensible defaults."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from slotwise.core import errors
from slotwise.core.models import Business, Membership, slug_validator, validate_timezone


def business_create(
    *,
    slug: str,
    name: str,
    timezone: str,
    owner_email: str,
    owner_password: str | None = None,
    contact_email: str = "",
    phone: str = "",
    currency: str = "EUR",
) -> tuple[Business, str | None]:
    """Create a business, its owner login and its default settings (one reminder 24 h before).

    Returns the business and the generated password when none was given (None otherwise). An
    existing user with that email becomes the owner without a password change.
    """
    from slotwise.notifications.models import NotificationSettings, ReminderRule

    try:
        slug_validator(slug)
        validate_timezone(timezone)
    except ValidationError as exc:
        raise errors.InvalidInput(" ".join(exc.messages)) from None
    if not name.strip():
        raise errors.InvalidInput("A business needs a name.", field="name")
    if "@" not in owner_email:
        raise errors.InvalidInput("The owner needs a valid email address.", field="owner_email")
    users = get_user_model()
    generated: str | None = None
    with transaction.atomic():
        if Business.objects.filter(slug=slug).exists():
            raise errors.InvalidInput(
                f"A business with slug {slug!r} exists already.", field="slug"
            )
        business = Business.objects.create(
            slug=slug,
            name=name.strip(),
            timezone=timezone,
            contact_email=contact_email or owner_email,
            phone=phone,
            currency=currency,
        )
        NotificationSettings.objects.create(business=business)
        ReminderRule.objects.create(business=business, minutes_before=24 * 60)
        user = users.objects.filter(username__iexact=owner_email).first()
        if user is None:
            if owner_password is None:
                generated = owner_password = secrets.token_urlsafe(12)
            user = users.objects.create_user(
                username=owner_email.lower(), email=owner_email.lower(), password=owner_password
            )
        Membership.objects.create(business=business, user=user, role=Membership.Role.OWNER)
    return business, generated
