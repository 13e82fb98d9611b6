"""Forms of the customer pages: they check the shape of the input; the actions check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from slotwise.core import web
from slotwise.core.validators import (
    EMAIL_MAX_LENGTH,
)


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels read "Email", not "Email:"
        super().__init__(*args, **kwargs)


class DetailsForm(_Form):
    """Who is booking."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        validators=[web.line_validator],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please give your name.")},
    )
    # One address by the rule every form and the API share (core/validators.py).
    email = forms.CharField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        validators=[web.email_validator],
        help_text=_("We send your confirmation and a link to your booking here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Please give your email address."),
            "invalid": _("Please give a valid email address, like name@example.com."),
        },
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=40,
        required=False,
        validators=[web.line_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    notes = forms.CharField(
        label=_("Note for the business (optional)"),
        max_length=2000,
        required=False,
        validators=[web.text_validator],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, offers_changes: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if offers_changes:
            # Only a page whose bookings may be changed online promises the change links.
            self.fields["email"].help_text = _(
                "We send your confirmation and your links to change the booking here."
            )


class CancelForm(_Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        help_text=_("It helps the business, but you do not have to say."),
        max_length=2000,
        required=False,
        validators=[web.text_validator],
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(_Form):
    stars = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose from 1 to 5 stars.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=2000,
        required=False,
        validators=[web.text_validator],
        widget=forms.Textarea(attrs={"rows": 4}),
    )


#: What each number of stars means, for screen readers and the hint under the stars.
STAR_WORDS = {
    1: _("1 star, poor"),
    2: _("2 stars, fair"),
    3: _("3 stars, good"),
    4: _("4 stars, very good"),
    5: _("5 stars, excellent"),
}


class WaitlistWindowsForm(_Form):
    """The days (and times of day) a waitlist entry waits for: one window, and an optional
    second. The rules (not in the past, in order) are the action's (``bookings/waitlist.py``)."""

    first_day = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Please give the first day that suits you.")},
    )
    last_day = forms.DateField(
        label=_("To"),
        required=False,
        help_text=_("Leave empty for one day only."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start = forms.TimeField(
        label=_("Earliest start (optional)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    until = forms.TimeField(
        label=_("Latest end (optional)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    second_first_day = forms.DateField(
        label=_("Also from (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    second_last_day = forms.DateField(
        label=_("Also to (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def windows(self) -> list[dict[str, Any]]:
        """The windows in the shape the waitlist actions take."""
        data = self.cleaned_data
        clock = {
            "from": data["start"].strftime("%H:%M") if data.get("start") else None,
            "until": data["until"].strftime("%H:%M") if data.get("until") else None,
        }
        first = data["first_day"]
        found = [{"start": first, "end": data.get("last_day") or first, **clock}]
        if data.get("second_first_day"):
            second = data["second_first_day"]
            found.append({"start": second, "end": data.get("second_last_day") or second, **clock})
        return found


class WaitlistJoinForm(WaitlistWindowsForm):
    """Who waits, and for which days: name and email checked like a booking's."""

    name = DetailsForm.base_fields["name"]
    email = forms.CharField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        validators=[web.email_validator],
        help_text=_("We email you here when a time that suits you frees up."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Please give your email address."),
            "invalid": _("Please give a valid email address, like name@example.com."),
        },
    )
    phone = DetailsForm.base_fields["phone"]
    field_order = ["name", "email", "phone", "first_day", "last_day", "start", "until"]
