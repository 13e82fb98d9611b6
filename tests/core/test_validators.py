"""One rule for an email address and for names and free text, whichever way they come in.

The API's own entry points are in tests/api/test_input_rules.py; this file covers the rule
itself, the forms (booking page, wizard customer step) and the services behind every face.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from slotwise.backoffice.forms import CustomerCreateForm, ProviderForm
from slotwise.backoffice.forms import DetailsForm as WizardDetailsForm
from slotwise.bookings import actions
from slotwise.bookings.models import Booking
from slotwise.catalog.models import Customer
from slotwise.catalog.services import customer_get_or_create, customer_save
from slotwise.core import errors
from slotwise.core.validators import validate_email_address, validate_line, validate_text
from slotwise.site.forms import CancelForm, DetailsForm, RatingForm
from tests.conftest import World

#: Addresses refused everywhere: lists, several @, header injection, controls, display names.
BAD_EMAILS = [
    "a@example.test, c@example.test",
    "a@example.test,c@example.test",
    "a@example.test;c@example.test",
    "a@b@example.test",
    "a@example.test\r\nBcc: victim@example.test",
    "a@example.test\nx",
    "a\r@example.test",
    "a\x00@example.test",
    "a\x1b@example.test",
    "a@exam\u2028ple.test",
    '"a,b"@example.test',
    '"a\\r"@example.test',
    "Ann <a@example.test>",
    "a b@example.test",
    "a@",
    "@example.test",
    "plainaddress",
    "a" * 65 + "@example.test",
    "a@" + "b" * 250 + ".test",
]

GOOD_EMAILS = ["dana@example.test", "Dana.Doe+tag@Example.test", "o'neil@example.co.uk"]

#: One-line fields (names, phones) refuse every control and line-separator character.
BAD_LINES = ["Mal\r\nlory", "Mal\nlory", "Mal\rlory", "Mal\x00lory", "Mal\x1b[31mlory", "M\u2028l"]

#: Free text keeps line breaks (and tabs) but no other control character.
BAD_TEXTS = ["a\x00b", "a\x1b[2Jb", "a\x07b", "a\x7fb", "a\x85b"]


@pytest.mark.parametrize("value", BAD_EMAILS)
def test_the_rule_refuses_every_bad_address(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_email_address(value)


@pytest.mark.parametrize("value", GOOD_EMAILS)
def test_the_rule_keeps_ordinary_addresses(value: str) -> None:
    assert validate_email_address(f"  {value} ") == value


@pytest.mark.parametrize("value", BAD_LINES)
def test_one_line_fields_refuse_control_characters(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_line(value)


def test_free_text_keeps_line_breaks_and_refuses_other_controls() -> None:
    assert validate_text("first line\r\nsecond\tline") == "first line\nsecond\tline"
    for value in BAD_TEXTS:
        with pytest.raises(ValidationError):
            validate_text(value)
    assert validate_line("Zoë O’Brien-Łukasz 李") == "Zoë O’Brien-Łukasz 李"


# --- forms --------------------------------------------------------------------------------


def _site_details(**extra: str) -> dict[str, str]:
    return {"name": "Dana", "email": "dana@example.test", "phone": "", "notes": "", **extra}


def _wizard_customer(**extra: str) -> dict[str, str]:
    return {"name": "Dana", "email": "dana@example.test", "phone": "", "timezone": "", **extra}


FORMS: list[tuple[str, Any, Any]] = [
    ("booking page", DetailsForm, _site_details),
    ("wizard customer step", CustomerCreateForm, _wizard_customer),
]


@pytest.mark.parametrize(("where", "form_class", "data"), FORMS, ids=[f[0] for f in FORMS])
@pytest.mark.parametrize("value", BAD_EMAILS)
def test_forms_refuse_bad_addresses(where: str, form_class: Any, data: Any, value: str) -> None:
    form = form_class(data(email=value))
    assert not form.is_valid()
    assert "email" in form.errors


@pytest.mark.parametrize(("where", "form_class", "data"), FORMS, ids=[f[0] for f in FORMS])
@pytest.mark.parametrize("field", ["name", "phone"])
@pytest.mark.parametrize("value", BAD_LINES)
def test_forms_refuse_control_characters_in_names(
    where: str, form_class: Any, data: Any, field: str, value: str
) -> None:
    form = form_class(data(**{field: value}))
    assert not form.is_valid()
    assert field in form.errors


@pytest.mark.parametrize(("where", "form_class", "data"), FORMS, ids=[f[0] for f in FORMS])
def test_forms_accept_a_good_customer(where: str, form_class: Any, data: Any) -> None:
    form = form_class(data(email=" Dana.Doe+tag@Example.test "))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "Dana.Doe+tag@Example.test"


@pytest.mark.parametrize("value", BAD_TEXTS)
def test_free_text_fields_refuse_control_characters(value: str) -> None:
    assert "notes" in DetailsForm(_site_details(notes=value)).errors
    assert "reason" in CancelForm({"reason": value}).errors
    assert "comment" in RatingForm({"stars": "5", "comment": value}).errors
    assert "notes" in WizardDetailsForm({"price": "10", "notes": value}).errors
    assert DetailsForm(_site_details(notes="line one\r\nline two")).is_valid()


# --- services (what every face calls) ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", BAD_EMAILS[:8])
def test_customer_services_refuse_bad_addresses(world: World, value: str) -> None:
    with pytest.raises(errors.InvalidInput) as refused:
        customer_save(business=world.business, changes={"name": "Dana", "email": value})
    assert refused.value.details["field"] == "email"
    with pytest.raises(errors.InvalidInput):
        customer_get_or_create(business=world.business, name="Dana", email=value)
    with pytest.raises(errors.InvalidInput):
        customer_save(business=world.business, changes={"email": value}, customer=world.customer)
    assert Customer.objects.filter(business=world.business).count() == 1
    assert Customer.objects.get(pk=world.customer.pk).email == "casey@example.test"


@pytest.mark.django_db
@pytest.mark.parametrize("value", BAD_LINES)
def test_customer_services_refuse_control_characters_in_names(world: World, value: str) -> None:
    with pytest.raises(errors.InvalidInput) as refused:
        customer_save(business=world.business, changes={"name": value, "email": "d@example.test"})
    assert refused.value.details["field"] == "name"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("details", "notes", "field"),
    [
        ({"email": "a@example.test, victim@example.test"}, "", "email"),
        ({"email": "a@b@example.test"}, "", "email"),
        ({"email": "a@example.test\r\nBcc: v@example.test"}, "", "email"),
        ({"name": "Mal\r\nlory"}, "", "name"),
        ({"phone": "+1\n555"}, "", "phone"),
        ({}, "hi\x1b[2J", "notes"),
    ],
)
def test_web_booking_refuses_bad_details_and_writes_nothing(
    world: World, details: dict[str, str], notes: str, field: str
) -> None:
    customer = {"name": "Dana", "email": "dana@example.test", **details}
    with pytest.raises(errors.InvalidInput) as refused:
        actions.booking_create_web(
            page=world.page,
            service=world.service,
            provider=world.alex,
            start=datetime(2030, 6, 3, 8, 0, tzinfo=UTC),
            customer=actions.CustomerDetails(**customer),
            now=datetime(2030, 5, 27, 8, 0, tzinfo=UTC),
            notes=notes,
        )
    assert refused.value.details["field"] == field
    assert not Booking.objects.exists()
    assert Customer.objects.filter(business=world.business).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("value", BAD_EMAILS[:8])
def test_the_provider_form_uses_the_same_address_rule(world: World, value: str) -> None:
    data = {"name": "Pat", "email": value, "phone": ""}
    assert "email" in ProviderForm(data, business=world.business).errors
    assert "email" not in ProviderForm({**data, "email": ""}, business=world.business).errors
    assert "name" in ProviderForm({**data, "name": "Pat\r\nX"}, business=world.business).errors


@pytest.mark.parametrize("char", ["\u202e", "\u202d", "\u202a", "\u2066", "\u2067", "\u2069"])
def test_names_and_texts_refuse_bidirectional_overrides(char: str) -> None:
    """U+202E and its kin reorder what staff see ("Mallory\u202eevil" shows as "Mallorylive"):
    spoofing in the backoffice, emails and logs. Accepted before."""
    with pytest.raises(ValidationError):
        validate_line(f"Mallory{char}evil")
    with pytest.raises(ValidationError):
        validate_text(f"Please call{char}\nme")


def test_right_to_left_names_and_marks_stay_allowed() -> None:
    assert (
        validate_line("\u05d3\u05d5\u05d3 \u05db\u05d4\u05df")
        == "\u05d3\u05d5\u05d3 \u05db\u05d4\u05df"
    )
    assert validate_line("\u0633\u0627\u0631\u0629\u200f (Sara)")
    assert validate_text("\u200eRoom 4\u200f")
