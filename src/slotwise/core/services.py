"""Setting up a business (a tenant) with sensible defaults; its profile and its team."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from slotwise.core import errors
from slotwise.core.models import Business, Membership, slug_validator, validate_timezone
from slotwise.core.records import record_apply, record_save


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


def business_profile_save(*, business: Business, changes: Mapping[str, Any]) -> Business:
    """Change the business's name, contact details, time zone and scheduling defaults."""
    record_apply(business, changes)
    return record_save(business)


# --- team -------------------------------------------------------------------------------------


def member_add(
    *, business: Business, email: str, role: str, name: str = ""
) -> tuple[Membership, str | None]:
    """Give a person access with a role. A new account gets a generated password (returned
    once, to hand over); an existing account keeps its own."""
    if role not in Membership.Role.values:
        raise errors.InvalidInput("Unknown role.", field="role")
    email = email.strip().lower()
    users = get_user_model()
    generated = None
    with transaction.atomic():
        user = users.objects.filter(username__iexact=email).first()
        if user is None:
            generated = secrets.token_urlsafe(12)
            first, _, last = name.strip().partition(" ")
            user = users.objects.create_user(
                username=email, email=email, password=generated, first_name=first, last_name=last
            )
        if Membership.objects.filter(business=business, user=user).exists():
            raise errors.InvalidInput("This person is already in the team.", field="email")
        membership = Membership.objects.create(business=business, user=user, role=role)
    return membership, generated


def _ensure_an_owner_remains(business: Business, changing: Membership) -> None:
    if (
        changing.role == Membership.Role.OWNER
        and not Membership.objects.filter(business=business, role=Membership.Role.OWNER)
        .exclude(pk=changing.pk)
        .exists()
    ):
        raise errors.InvalidInput("A business needs at least one owner.")


def _membership_locked(business: Business, membership_id: int) -> Membership:
    found = Membership.objects.select_for_update().filter(business=business, pk=membership_id)
    membership = found.first()
    if membership is None:
        raise errors.NotFound("Team member not found.")
    return membership


def member_role_set(*, business: Business, membership_id: int, role: str) -> Membership:
    """Change a member's role; the last owner cannot stop being one."""
    if role not in Membership.Role.values:
        raise errors.InvalidInput("Unknown role.", field="role")
    with transaction.atomic():
        membership = _membership_locked(business, membership_id)
        if role != Membership.Role.OWNER:
            _ensure_an_owner_remains(business, membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def member_remove(*, business: Business, membership_id: int) -> None:
    """Take a member's access away; the last owner cannot be removed."""
    with transaction.atomic():
        membership = _membership_locked(business, membership_id)
        _ensure_an_owner_remains(business, membership)
        membership.delete()
