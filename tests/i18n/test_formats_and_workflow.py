"""Localised formats, the reader-language rules, the API field and the translation workflow."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from slotwise.core import i18n
from slotwise.core.models import StaffPreferences
from slotwise.notifications.render import format_instant, format_range
from tests.api.conftest import Api, key_for

# The customer-page clock and limits of this folder (conftest.py) use the database cache.
pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2030, 6, 4, 14, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "Tuesday, 4 June 2030, 14:00 – 15:00 (Europe/Berlin, CEST)"),
        ("en-US", "Tuesday, June 4, 2030, 2:00\u202fPM – 3:00\u202fPM (Europe/Berlin, CEST)"),
        ("de", "Dienstag, 4. Juni 2030, 14:00 – 15:00 (Europe/Berlin, CEST)"),
        ("fr", "mardi 4 juin 2030, 14:00 – 15:00 (Europe/Berlin, CEST)"),
        ("es", "martes, 4 de junio de 2030, 14:00 – 15:00 (Europe/Berlin, CEST)"),
        ("nl", "dinsdag 4 juni 2030, 14:00 – 15:00 (Europe/Berlin, CEST)"),
        ("fi", "tiistai 4. kesäkuuta 2030, 14.00–15.00 (Europe/Berlin, CEST)"),
    ],
)
def test_times_in_each_language_keep_their_zone(tag, expected):
    with translation.override(i18n.to_django(tag)):
        assert format_range(START, START.replace(hour=15), BERLIN) == expected


def test_prices_and_instants_per_locale():
    assert i18n.format_price(Decimal("40"), "EUR", tag="en") == "€40.00"
    assert i18n.format_price(Decimal("40"), "EUR", tag="de") == "40,00\xa0€"
    assert i18n.format_price(Decimal("40"), "EUR", tag="nl") == "€\xa040,00"
    assert i18n.format_month(date(2030, 6, 1), tag="fi") == "kesäkuu 2030"
    with translation.override("en-us"):
        assert "(Europe/Berlin, CEST)" in format_instant(START, BERLIN)


def test_language_tags_and_accept_language():
    assert i18n.language_tag("de_at") == "de-AT"
    assert i18n.language_tag("xx") is None and i18n.language_tag("") is None
    assert i18n.language_tag("not a tag") is None
    assert i18n.from_accept_language("pt-BR,fr;q=0.8,en;q=0.5") == "fr"
    assert i18n.from_accept_language("*") is None
    assert i18n.from_accept_language("x" * 600) is None
    assert i18n.with_region_from("en", "en-US,en;q=0.9") == "en-US"
    assert i18n.with_region_from("de", "en-US") == "de"
    assert i18n.with_region_from("de-AT", "de-DE") == "de-AT"
    assert i18n.first_of(None, "xx", "fi") == "fi"
    assert i18n.first_of() == "en"
    assert i18n.language_name("de-AT") == "Deutsch"


def test_business_content_falls_back():
    class Thing:
        name = "Haircut"
        translations = {"de": {"name": "Haarschnitt"}, "fr": {"name": "  "}}

    assert i18n.localized(Thing(), "name", tag="de-AT") == "Haarschnitt"
    assert i18n.localized(Thing(), "name", tag="fr") == "Haircut"
    assert i18n.localized(Thing(), "name", tag="fi") == "Haircut"
    cleaned = i18n.clean_translations(
        {"de": {"name": " Haarschnitt ", "description": ""}}, ("name", "description")
    )
    assert cleaned == {"de": {"name": "Haarschnitt"}}
    assert i18n.clean_translations(None, ("name",)) == {}
    for bad in ([1], {"xx": {"name": "a"}}, {"de": "a"}, {"de": {"price": "1"}}):
        with pytest.raises(ValidationError):
            i18n.clean_translations(bad, ("name",))


def test_api_customer_language_is_validated_and_returned(world):
    api = Api(key_for(world.business))
    made = api.post("customers", {"name": "Eva", "email": "eva@example.test", "language": "fi"})
    assert made.status_code == 201, made.text
    assert made.json()["language"] == "fi"
    refused = api.patch(f"customers/{made.json()['id']}", {"language": "klingon"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_input"
    assert api.get(f"customers/{made.json()['id']}").json()["language"] == "fi"
    regional = api.patch(f"customers/{made.json()['id']}", {"language": "en-us"})
    assert regional.json()["language"] == "en-US"


def test_staff_choose_their_own_language(world):
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.get(username="owner@acme.test")
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("backoffice:language"))
    assert page.status_code == 200 and "Your language" in page.text
    client.post(reverse("backoffice:language"), {"language": "nl"})
    assert StaffPreferences.objects.get(user=owner).language == "nl"
    assert "Uw taal" in client.get(reverse("backoffice:language")).text
    assert 'lang="nl"' in client.get(reverse("backoffice:dashboard")).text
    client.post(reverse("backoffice:language"), {"language": ""})
    assert StaffPreferences.objects.get(user=owner).language == ""
    assert client.post(reverse("backoffice:language"), {"language": "xx"}).status_code == 200
    assert Client().get(reverse("backoffice:language")).status_code == 302


def _write_po(root: Path, code: str, entries: str) -> None:
    folder = root / code / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n' + entries,
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('msgid "Hello"\nmsgstr ""\n', "untranslated"),
        ('#, fuzzy\nmsgid "Hello"\nmsgstr "Hallo"\n', "fuzzy"),
        ('#, python-format\nmsgid "Hi %(name)s"\nmsgstr "Hallo %(nom)s"\n', "placeholders"),
    ],
)
def test_check_fails_on_untranslated_fuzzy_or_broken_entries(tmp_path, settings, entry, problem):
    settings.LANGUAGES = [("en", "English"), ("de", "German")]
    settings.LOCALE_PATHS = [tmp_path]
    _write_po(tmp_path, "de", entry)
    with pytest.raises(CommandError, match=problem):
        call_command("translations", "check")


def test_check_passes_and_compile_builds_mo_files(tmp_path, settings, capsys):
    settings.LANGUAGES = [("en", "English"), ("de", "German"), ("fi", "Finnish")]
    settings.LOCALE_PATHS = [tmp_path]
    _write_po(tmp_path, "de", 'msgid "Hello"\nmsgstr "Hallo"\n')
    with pytest.raises(CommandError, match="missing"):
        call_command("translations", "check")
    _write_po(tmp_path, "fi", 'msgid "Hello"\nmsgstr "Hei"\n')
    call_command("translations", "check")
    call_command("translations", "compile")
    assert (tmp_path / "de" / "LC_MESSAGES" / "django.mo").stat().st_size > 0
    assert "Compiled: de, fi." in capsys.readouterr().out


def test_shipped_catalogs_are_complete():
    """What `make lint` runs: every shipped language is complete."""
    call_command("translations", "check")
