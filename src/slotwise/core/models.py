"""Tenancy: every piece of business data hangs off a Business."""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from slotwise.core import branding
from slotwise.core.i18n import validate_language


@functools.cache
def known_zones() -> frozenset[str]:
    """Every IANA zone name installed here, read from disk once per process.

    ``available_timezones()`` walks the zone files on each call (about a sixth of a second),
    and forms, pages and the API check zones on every request.
    """
    return frozenset(available_timezones())


def validate_timezone(value: str) -> None:
    """Accept only IANA zone names, so every stored zone can be loaded later."""
    if value not in known_zones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use lowercase letters, digits and hyphens."),
)


class Business(models.Model):
    """A tenant: one company with its own staff, catalog, customers, pages and settings."""

    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    contact_email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    #: The language of customers whose own is unknown, and of mail to the business address.
    default_language = models.CharField(max_length=10, default="en", validators=[validate_language])
    #: The business's own words on cancelling, shown on customer pages and emails.
    cancellation_policy = models.TextField(blank=True)
    #: Per-language versions of ``cancellation_policy``: ``{"de": {"cancellation_policy": …}}``.
    translations = models.JSONField(default=dict, blank=True)
    # Rules for slots offered to customers of custom bookings (no booking page) when they
    # reschedule, and the staff slot picker's step.
    slot_step_minutes = models.PositiveIntegerField(default=15)
    min_notice_minutes = models.PositiveIntegerField(default=60)
    max_days_ahead = models.PositiveIntegerField(default=90)
    #: Customers' ratings (stars, counts and the latest comments) shown on the booking pages
    #: and the public reviews page. Off until the business turns it on (docs/ratings.md).
    show_ratings_on_pages = models.BooleanField(default=False)
    # Branding (docs/guide.md, "Branding"): shown on the customer pages and HTML emails; blank
    # means the Slotwise look. The colour is stored only once it passed the contrast check.
    logo = models.ImageField(upload_to=branding.business_image_path, blank=True, max_length=200)
    cover_image = models.ImageField(
        upload_to=branding.business_image_path, blank=True, max_length=200
    )
    accent_color = models.CharField(max_length=7, blank=True)
    #: A line or two under the name on the booking pages ("Haircuts and colour since 1998").
    description = models.CharField(max_length=branding.DESCRIPTION_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "businesses"
        ordering = ["name"]
        # A step below 5 minutes (0 loops forever in the slot grid) or a horizon of 0 days is
        # never meant; refused here too, whatever path writes the row.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slot_step_minutes__gte=5), name="business_step_minimum"
            ),
            models.CheckConstraint(
                condition=models.Q(max_days_ahead__gte=1), name="business_days_ahead_minimum"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def clean(self) -> None:
        # Whatever path writes the row (form, API, shell), no illegible accent is stored.
        if self.accent_color:
            try:
                self.accent_color = branding.validate_accent(self.accent_color)
            except ValidationError as exc:
                raise ValidationError({"accent_color": exc.messages}) from None


class Membership(models.Model):
    """A staff user's access to one business, with a role."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        STAFF = "staff", _("Staff")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)
    #: When the person last chose to work in this business (switcher, joining): after sign-in
    #: they land in the business they used last.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.business} ({self.role})"

    @property
    def can_manage_settings(self) -> bool:
        return self.role in {self.Role.OWNER, self.Role.ADMIN}


class StaffPreferences(models.Model):
    """A staff user's own settings, whatever business they work in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_preferences"
    )
    #: The backoffice's language and that of the alerts the person gets ("" = the business's).
    language = models.CharField(max_length=10, blank=True, validators=[validate_language])

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class Invitation(models.Model):
    """An offer to join a business's team with a role, sent as a one-time link by email.

    The link's secret is stored only as a SHA-256 hash (like the customers' booking links). It
    works once, until ``expires_at``, and not after it was revoked or a newer link was sent.
    Accepting makes the membership; nobody but the invitee ever chooses or sees a password.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="invitations")
    #: Normalised (NFKC, case-folded), as accounts' sign-in names are.
    email = models.EmailField()
    role = models.CharField(
        max_length=10, choices=Membership.Role.choices, default=Membership.Role.STAFF
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    #: When the latest link was handed to the mail server (None: not yet, or it failed).
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=300, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open invitation per person and business: inviting again replaces it.
            models.UniqueConstraint(
                fields=["business", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.business_id} ({self.role})"

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.accepted_at is None and self.revoked_at is None

    def is_usable(self, now: datetime) -> bool:
        return self.is_open and now < self.expires_at


class ApiKey(models.Model):
    """A business's key for the JSON API. Only a SHA-256 hash of the secret is stored.

    The key looks like ``sw_<prefix>_<secret>``; ``prefix`` is shown in lists so a key can be
    recognised without revealing it.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_apikey"  # kept from when the model lived in the API app
        ordering = ["-created_at", "id"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} (sw_{self.prefix}_…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class RateCounter(models.Model):
    """One rate-limit count: a scope, a client (or mailbox) and a fixed window in its key.

    Counted with one statement each (``core.ratelimit``); rows whose window has ended are
    deleted by the worker. On PostgreSQL the table is unlogged: counts are not worth a WAL
    flush, and a crash only forgets the current window's counts.
    """

    counter_key = models.CharField(max_length=250, primary_key=True)
    count = models.IntegerField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")

    def __str__(self) -> str:
        return f"{self.counter_key} = {self.count}"
