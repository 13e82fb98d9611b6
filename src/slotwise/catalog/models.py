"""What a business offers and who does it: services, providers and their hours, customers."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from slotwise.core.branding import catalog_photo_path
from slotwise.core.i18n import validate_language
from slotwise.core.models import Business, validate_timezone


class Service(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="EUR")
    buffer_before_minutes = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(24 * 60)]
    )
    buffer_after_minutes = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(24 * 60)]
    )
    active = models.BooleanField(default=True)
    #: Optional, shown with the service on the booking page.
    photo = models.ImageField(upload_to=catalog_photo_path, blank=True, max_length=200)
    #: Per-language name and description: ``{"de": {"name": …, "description": …}}``.
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["business", "name"], name="service_unique_name"),
            # The same bounds as the forms and the API (5 minutes to a day; buffers up to a
            # day), so no way in can store a service that breaks the slot arithmetic.
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=24 * 60),
                name="service_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    buffer_before_minutes__gte=0,
                    buffer_before_minutes__lte=24 * 60,
                    buffer_after_minutes__gte=0,
                    buffer_after_minutes__lte=24 * 60,
                ),
                name="service_buffers_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """A person who does the work; has weekly hours, time off and the services they offer."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="providers")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    services = models.ManyToManyField(Service, related_name="providers", blank=True)
    active = models.BooleanField(default=True)
    # The provider's own opt-out of booking notifications (the business settings decide the rest).
    receives_notifications = models.BooleanField(default=True)
    #: Optional, shown with the provider on the booking page.
    photo = models.ImageField(upload_to=catalog_photo_path, blank=True, max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One weekly interval in the business's local time; a day may have several."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.IntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="working_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class TimeOff(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="time_off_order"),
        ]


class Customer(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])
    #: The language the customer reads ("" = unknown: the business's default is used).
    language = models.CharField(max_length=10, blank=True, validators=[validate_language])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["business", "email"]),
            # A web booking finds the returning customer by email, case-insensitively
            # (email__iexact compares UPPER(email)); without this every customer of the
            # business is read.
            models.Index(F("business"), Upper("email"), name="customer_business_email_ci_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
