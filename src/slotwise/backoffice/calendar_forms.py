"""Forms of the provider's "Calendars" settings page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class CalendarConnectForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to connect"),
        choices=[
            ("caldav", _("A CalDAV account (Nextcloud, iCloud, Fastmail…): read and write")),
            ("ics", _("An ICS address (Google, Outlook published calendar): read only")),
        ],
        widget=forms.RadioSelect,
        initial="caldav",
    )
    url = forms.CharField(
        label=_("Address"),
        max_length=1000,
        help_text=_(
            "For CalDAV, the server's address (for example https://cloud.example.com/) or "
            "the calendar address your provider gives. For ICS, the secret or published "
            "address ending in .ics."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}
        ),
    )
    username = forms.CharField(
        label=_("User name"),
        max_length=200,
        required=False,
        help_text=_("CalDAV only."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label=_("App password"),
        max_length=500,
        required=False,
        help_text=_(
            "CalDAV only. Use an app password made for Slotwise; it is stored encrypted "
            "and never shown again."
        ),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "caldav":
            if not data.get("username"):
                self.add_error("username", _("A CalDAV account needs a user name."))
            if not data.get("password"):
                self.add_error("password", _("A CalDAV account needs a password."))
        return data
