"""Backoffice forms: they parse and label input; the rules stay in the actions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.core.validators import EmailValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from slotwise.bookings.models import CHANGE_DEADLINE_CHOICES, Booking, BookingPage, Payment
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.core import i18n, web
from slotwise.core.models import Business, Membership
from slotwise.core.validators import (
    EMAIL_MAX_LENGTH,
    validate_email_address,
)
from slotwise.notifications.models import NotificationSettings


def _optional_email(value: str) -> None:
    if value.strip():
        validate_email_address(value)


TIMEZONE_CHOICES = [("", _("Same as the business"))] + [
    (z, z) for z in sorted(available_timezones()) if "/" in z and not z.startswith("Etc/")
]


def _scope(form: forms.BaseForm, name: str, rows: QuerySet[Any]) -> None:
    """Offer only ``rows`` (this business's) in the model choice field ``name``."""
    cast(forms.ModelChoiceField, form.fields[name]).queryset = rows


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class BoundedDateField(forms.DateField):
    """A date between the years 1970 and 2999."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value.year not in web.YEARS:
            raise forms.ValidationError(
                _("Give a date between the years %(first)d and %(last)d."),
                code="out_of_range",
                params={"first": web.YEARS[0], "last": web.YEARS[-1]},
            )


class RowsField(forms.ModelMultipleChoiceField):
    """Several rows by id; ids the database cannot hold are refused before any query."""

    def _check_values(self, value: Iterable[Any]) -> Any:
        for pk in value:
            if web.parse_id(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        # django-stubs does not declare this private hook of ModelMultipleChoiceField.
        return super()._check_values(value)  # type: ignore[misc]


def local_datetime(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """``day`` at ``clock`` on the wall clocks of ``tz``; refused when that time never happens.

    When the clocks go forward (e.g. 02:30 on 30 March 2031 in Berlin) the hour is skipped;
    Python would quietly read it as a time an hour off. When they go back, the earlier of the
    two is meant.
    """
    wall = datetime.combine(day, clock, tzinfo=tz)
    if wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise forms.ValidationError(
            _("%(time)s does not exist on %(day)s: the clocks change that night."),
            code="nonexistent",
            params={"time": clock.strftime("%H:%M"), "day": day.isoformat()},
        )
    return wall


def add_domain_error(form: forms.BaseForm, exc: Any) -> None:
    """Show a DomainError on the form: on its field when the form has it, else on top."""
    field = exc.details.get("field") if hasattr(exc, "details") else None
    form.add_error(field if field in form.fields else None, exc.message)


# --- bookings list ----------------------------------------------------------------------


class BookingFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Name, email, phone or reference")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Booking.Status.choices]
    )
    provider = forms.ModelChoiceField(
        label=_("Provider"), required=False, queryset=Provider.objects.none(), empty_label=_("All")
    )
    service = forms.ModelChoiceField(
        label=_("Service"), required=False, queryset=Service.objects.none(), empty_label=_("All")
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any source")), *Booking.Source.choices]
    )
    date_from = BoundedDateField(label=_("From"), required=False, widget=DateInput())
    date_to = BoundedDateField(label=_("To (inclusive)"), required=False, widget=DateInput())

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "provider", Provider.objects.filter(business=business))
        _scope(self, "service", Service.objects.filter(business=business))


# --- staff actions ----------------------------------------------------------------------


class VersionForm(forms.Form):
    """The version the page showed, so a change made meanwhile is not overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CancelForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown in the booking's history and in the customer's email."),
    )
    notify_customer = forms.BooleanField(
        label=_("Notify the customer by email"), required=False, initial=True
    )


class SlotForm(forms.Form):
    """A start time: one of the offered slots, or (override) any date and time typed in."""

    slot = forms.CharField(required=False)
    override = forms.BooleanField(
        label=_("Book a time outside working hours (override)"), required=False
    )
    override_date = BoundedDateField(label=_("Date"), required=False, widget=DateInput())
    override_time = forms.TimeField(label=_("Start time"), required=False, widget=TimeInput())

    def __init__(self, *args: Any, tz: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("override"):
            day, clock = data.get("override_date"), data.get("override_time")
            if not day or not clock:
                raise forms.ValidationError(_("For an override, give both a date and a time."))
            data["start"] = local_datetime(day, clock, self.tz)
        else:
            raw = data.get("slot") or ""
            try:
                start = datetime.fromisoformat(raw)
                # Far-away instants cannot even be moved to UTC (OverflowError).
                in_range = start.tzinfo is not None and start.astimezone(UTC).year in web.YEARS
            except (ValueError, OverflowError):
                in_range = False
            if not in_range:
                raise forms.ValidationError(_("Choose one of the free times."))
            data["start"] = start
        return data


class RescheduleForm(SlotForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    provider = forms.IntegerField(widget=forms.HiddenInput)
    notify_customer = forms.BooleanField(
        label=_("Notify the customer (email with the new time and calendar update)"),
        required=False,
        initial=True,
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    status = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (Payment.Status.PAID, _("Payment received")),
            (Payment.Status.REFUNDED, _("Refund given")),
            (Payment.Status.PENDING, _("Payment pending")),
        ],
    )
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


# --- booking wizard ---------------------------------------------------------------------


class CustomerPickForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "customer", Customer.objects.filter(business=business))


class CustomerCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, validators=[web.line_validator])
    # The address rule every form and the API share (core/validators.py).
    email = forms.CharField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        validators=[web.email_validator],
        widget=forms.EmailInput,
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, validators=[web.line_validator]
    )
    timezone = forms.ChoiceField(
        label=_("Customer's time zone"),
        choices=TIMEZONE_CHOICES,
        required=False,
        help_text=_("Emails to the customer show times in this zone."),
    )
    language = forms.ChoiceField(
        label=_("Customer's language"),
        choices=lambda: [("", _("The business's default language")), *i18n.language_names()],
        required=False,
        help_text=_("Every email to the customer is written in this language."),
    )


class LanguageForm(forms.Form):
    """A customer's or a staff member's language ("" = the business's default)."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=lambda: [("", _("The business's default language")), *i18n.language_names()],
        required=False,
    )


class ServiceProviderForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none())
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.none())

    def __init__(
        self, *args: Any, business: Business, service_fixed: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "service", Service.objects.filter(business=business, active=True))
        _scope(self, "provider", Provider.objects.filter(business=business, active=True))
        if service_fixed:
            self.fields["service"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        service, provider = data.get("service"), data.get("provider")
        if service and provider and not provider.services.filter(pk=service.pk).exists():
            self.add_error(
                "provider",
                _("%(provider)s does not offer %(service)s. Choose another provider.")
                % {"provider": provider.name, "service": service.name},
            )
        return data


class DetailsForm(forms.Form):
    price = forms.DecimalField(
        label=_("Price"), max_digits=10, decimal_places=2, min_value=Decimal("0")
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=4000,
        validators=[web.text_validator],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Visible to staff; included in the provider's email."),
    )


YES_NO = [("no", _("No")), ("yes", _("Yes"))]


class SelfServiceForm(forms.Form):
    allowed = forms.ChoiceField(
        label=_("Allow the customer to cancel or reschedule this booking?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        initial="no",
    )
    allow_cancel = forms.BooleanField(label=_("Cancel"), required=False, initial=True)
    allow_reschedule = forms.BooleanField(label=_("Reschedule"), required=False, initial=True)
    change_deadline_minutes = forms.TypedChoiceField(
        label=_("Latest change time"),
        choices=CHANGE_DEADLINE_CHOICES,
        coerce=int,
        initial=1440,
    )
    max_reschedules = forms.IntegerField(
        label=_("How many times may the customer reschedule?"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("Leave empty for no limit."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("allowed") == "yes" and not (
            data.get("allow_cancel") or data.get("allow_reschedule")
        ):
            raise forms.ValidationError(
                _("Tick cancel, reschedule or both — or answer No to self-service.")
            )
        return data


class ReviewForm(forms.Form):
    notify_customer = forms.BooleanField(
        label=_("Send the customer a confirmation email"), required=False, initial=True
    )


# --- settings ---------------------------------------------------------------------------


class TranslatedFieldsMixin:
    """Adds one field per other language for each of ``translated`` (the business's own
    content: a service's name, a page's title); cleaned into one ``translations`` value.

    The model's own field holds the text in the business's default language; a language
    left blank falls back to it (docs/translating.md, "Business content").
    """

    translated: tuple[str, ...] = ()
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_translation_fields(self, *, instance: Any, default_language: str) -> None:
        existing = getattr(instance, "translations", None) or {}
        self.translation_field_names: list[str] = []
        for code, name in i18n.language_names():
            if code == i18n.base_language(i18n.first_of(default_language)):
                continue
            for field in self.translated:
                base = self.fields.get(field)
                key = f"tr__{code}__{field}"
                label = _("%(field)s in %(language)s") % {
                    "field": base.label if base is not None else field,
                    "language": name,
                }
                textarea = isinstance(getattr(base, "widget", None), forms.Textarea)
                self.fields[key] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=getattr(base, "max_length", None),
                    widget=forms.Textarea(attrs={"rows": 2, "lang": code})
                    if textarea
                    else forms.TextInput(attrs={"lang": code}),
                    initial=(existing.get(code) or {}).get(field, ""),
                    validators=[] if textarea else [web.line_validator],
                )
                self.translation_field_names.append(key)

    @property
    def translation_fields(self) -> list[Any]:
        return [self[name] for name in getattr(self, "translation_field_names", [])]  # type: ignore[index]

    def clean_translations(self) -> None:
        """Move the per-language fields into ``cleaned_data["translations"]``."""
        collected: dict[str, dict[str, str]] = {}
        for key in getattr(self, "translation_field_names", []):
            value = self.cleaned_data.pop(key, "") or ""
            _prefix, code, field = key.split("__")
            if value.strip():
                collected.setdefault(code, {})[field] = value.strip()
        self.cleaned_data["translations"] = collected


class BookingPageForm(TranslatedFieldsMixin, forms.ModelForm):
    translated = ("title", "intro")

    change_deadline_minutes = forms.TypedChoiceField(
        label=_("Latest change time"), choices=CHANGE_DEADLINE_CHOICES, coerce=int, initial=1440
    )

    class Meta:
        model = BookingPage
        fields = [
            "title",
            "slug",
            "intro",
            "services",
            "providers",
            "any_provider",
            "min_notice_minutes",
            "max_days_ahead",
            "slot_step_minutes",
            "allow_cancel",
            "allow_reschedule",
            "change_deadline_minutes",
            "max_reschedules",
            "active",
            "waitlist",
        ]
        labels = {
            "slug": _("Address (slug)"),
            "intro": _("Introduction"),
            "any_provider": _("Customers may choose “any available provider”"),
            "min_notice_minutes": _("Minimum notice (minutes)"),
            "max_days_ahead": _("Bookable up to (days ahead)"),
            "slot_step_minutes": _("Time slot step (minutes)"),
            "allow_cancel": _("Customers may cancel online"),
            "allow_reschedule": _("Customers may reschedule online"),
            "max_reschedules": _("Maximum reschedules per booking"),
            "active": _("Page is live"),
            "waitlist": _("Customers may join a waitlist when no time suits them"),
        }
        help_texts = {"max_reschedules": _("Leave empty for no limit."), "any_provider": ""}
        widgets = {
            "services": forms.CheckboxSelectMultiple,
            "providers": forms.CheckboxSelectMultiple,
            "intro": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"services": RowsField, "providers": RowsField}

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "services", Service.objects.filter(business=business))
        _scope(self, "providers", Provider.objects.filter(business=business))
        self.add_translation_fields(
            instance=self.instance, default_language=business.default_language
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        self.clean_translations()
        return self.cleaned_data


class ServiceForm(TranslatedFieldsMixin, forms.ModelForm):
    translated = ("name", "description")

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_translation_fields(
            instance=self.instance, default_language=business.default_language
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        self.clean_translations()
        return self.cleaned_data

    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "duration_minutes",
            "price",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "active",
        ]
        labels = {
            "duration_minutes": _("Duration (minutes)"),
            "buffer_before_minutes": _("Buffer before (minutes)"),
            "buffer_after_minutes": _("Buffer after (minutes)"),
            "active": _("Offered"),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = ["name", "email", "phone", "services", "active", "receives_notifications"]
        labels = {
            "active": _("Takes bookings"),
            "receives_notifications": _("Receives booking notifications by email"),
        }
        widgets = {"services": forms.CheckboxSelectMultiple}
        field_classes = {"services": RowsField}

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "services", Service.objects.filter(business=business))
        # The address rule every form and the API share; a provider may have none.
        email = self.fields["email"]
        email.validators = [v for v in email.validators if not isinstance(v, EmailValidator)] + [
            _optional_email
        ]
        for name in ("name", "phone"):
            self.fields[name].validators.append(web.line_validator)


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = [
            "provider_on_created",
            "provider_on_rescheduled",
            "provider_on_cancelled",
            "business_on_created",
            "business_on_rescheduled",
            "business_on_cancelled",
        ]
        labels = {
            "provider_on_created": _("New booking"),
            "provider_on_rescheduled": _("Booking rescheduled"),
            "provider_on_cancelled": _("Booking cancelled"),
            "business_on_created": _("New booking"),
            "business_on_rescheduled": _("Booking rescheduled"),
            "business_on_cancelled": _("Booking cancelled"),
        }


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the key is for, e.g. “Website widget” or “CRM sync”."),
    )


class ReminderRuleForm(forms.Form):
    amount = forms.IntegerField(label=_("How long before"), min_value=1, max_value=10000)
    unit = forms.TypedChoiceField(
        label=_("Unit"),
        coerce=int,
        choices=[(60, _("hours")), (1440, _("days")), (1, _("minutes"))],
        initial=60,
    )


class MemberAddForm(forms.Form):
    """Invite a person to the team: their email and the role they will have."""

    # The address rule every form and the API share (core/validators.py); 150 is the longest
    # sign-in name an account holds.
    email = forms.CharField(
        label=_("Email"),
        max_length=150,
        validators=[web.email_validator],
        widget=forms.EmailInput,
    )
    role = forms.ChoiceField(label=_("Role"), initial="staff")

    def __init__(self, *args: Any, grant_owner: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "off"})
        # Only owners may grant the owner role; the service says so too, for every caller.
        cast(forms.ChoiceField, self.fields["role"]).choices = [
            (value, label)
            for value, label in Membership.Role.choices
            if grant_owner or value != Membership.Role.OWNER
        ]


class InvitationSignupForm(forms.Form):
    """The invitee's own name and password (checked by Django's validators in the service)."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        validators=[web.line_validator],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    new_password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only digits, not a common password."),
    )
    new_password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class BusinessForm(TranslatedFieldsMixin, forms.ModelForm):
    translated = ("cancellation_policy",)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES[1:])
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=i18n.language_names,
        # Left out of a post (an older form, a script): the business keeps its language.
        required=False,
        help_text=_(
            "For customers whose language is not known, and for the emails to the business "
            "address. Customers can always choose their own language."
        ),
    )
    # The shared address rule (or no address): it becomes the Reply-To of every customer email.
    contact_email = forms.CharField(
        label=_("Contact email (receives business notifications)"),
        max_length=EMAIL_MAX_LENGTH,
        required=False,
        validators=[_optional_email],
        widget=forms.EmailInput,
    )
    # The same minimums as the database's constraints, so they come back as field errors.
    slot_step_minutes = forms.IntegerField(
        label=_("Staff time slot step (minutes)"), min_value=5, max_value=240
    )
    max_days_ahead = forms.IntegerField(
        label=_("Online reschedule up to (days ahead)"), min_value=1, max_value=730
    )

    class Meta:
        model = Business
        fields = [
            "name",
            "timezone",
            "contact_email",
            "phone",
            "address",
            "currency",
            "default_language",
            "cancellation_policy",
            "slot_step_minutes",
            "min_notice_minutes",
            "max_days_ahead",
        ]
        labels = {
            "cancellation_policy": _("Cancellation policy"),
            "contact_email": _("Contact email (receives business notifications)"),
            "slot_step_minutes": _("Staff time slot step (minutes)"),
            "min_notice_minutes": _(
                "Minimum notice for online reschedules of custom bookings (minutes)"
            ),
            "max_days_ahead": _("Online reschedule up to (days ahead)"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One-line texts shown in customer emails and pages: no control characters.
        for name in ("name", "phone"):
            self.fields[name].validators.append(web.line_validator)
        self.fields["cancellation_policy"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["cancellation_policy"].help_text = _(
            "Shown to customers on their booking page and in their emails. Leave empty for none."
        )
        self.add_translation_fields(
            instance=self.instance, default_language=self.instance.default_language
        )

    def clean_default_language(self) -> str:
        return str(self.cleaned_data.get("default_language") or self.instance.default_language)

    def clean(self) -> dict[str, Any]:
        super().clean()
        self.clean_translations()
        return self.cleaned_data


# --- waitlist --------------------------------------------------------------------------


class WaitlistOfferForm(forms.Form):
    """Offer a waiting customer a time by hand (the action checks the page would allow it)."""

    provider: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=None,  # type: ignore[arg-type]  # set per business in __init__
        label=_("Provider"),
    )
    start = forms.DateTimeField(
        label=_("Start"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("In the business time zone."),
    )

    def __init__(self, *args: Any, providers: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]


class WaitlistSettingsForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Offer rule"),
        choices=[
            ("one_at_a_time", _("One at a time, in the order customers joined")),
            ("notify_all", _("Everyone who matches at once; the first to accept gets it")),
        ],
    )
    hold_minutes = forms.IntegerField(
        label=_("Hold each offer for (minutes)"),
        min_value=5,
        max_value=7 * 24 * 60,
        help_text=_("A hold always ends before the page's minimum notice."),
    )


class GridMoveForm(forms.Form):
    """A drop on the grid: the new local start, the column's provider, and the dialog's answers."""

    start = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    provider = forms.IntegerField(required=False, min_value=1)
    version = forms.IntegerField(min_value=1)
    notify = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no")])
    override = forms.BooleanField(required=False)
