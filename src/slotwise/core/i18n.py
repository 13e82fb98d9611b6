"""Languages and localised formats: whose language, and dates, times and prices in it.

A *language tag* is one of the shipped languages (``settings.LANGUAGES``), optionally with
a region: ``"de"``, ``"en-US"``, ``"fr-CA"``. Translations follow the language; formats
follow the region too, so an ``en-US`` reader gets a 12-hour clock and everyone else the
clock their locale uses (24-hour for every shipped language without a region). Every time
shown keeps its zone named (see ``format_range`` and friends in ``notifications.render``).

Business content (service names, booking page titles, the cancellation policy) may be
entered per language; each such model has a ``translations`` JSON field shaped
``{"de": {"name": "…"}}``, read with ``localized``.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|[0-9]{3}))?$")

#: The locale whose formats a language without a region uses. Plain English is written
#: the European way (24-hour clock); ``en-US`` asks for the American one explicitly.
_DEFAULT_REGION = {"en": "GB"}


#: Words that stay as they are in every language: the product's name, technical terms, and
#: each language's own name (the switcher shows "Deutsch" on an English page). The test that
#: every page and email is fully translated allows these and nothing else.
UNTRANSLATED_WORDS = frozenset(
    {"Slotwise", "API", "Webhook", "CRM", "SMS", "English", "Deutsch", "Nederlands"}
    | {"français", "español", "suomi", "Web", "Online", "Backoffice", "Dashboard"}
)


def supported_languages() -> tuple[str, ...]:
    """The shipped language codes, the default first."""
    return tuple(code for code, _name in settings.LANGUAGES)


def language_names() -> list[tuple[str, str]]:
    """(code, name in that language) for every shipped language, for switchers and forms."""
    names = []
    for code in supported_languages():
        info = translation.get_language_info(code)
        names.append((code, info["name_local"]))
    return names


def language_name(tag: str) -> str:
    """'Deutsch' for ``de-AT``: the language's own name."""
    return str(translation.get_language_info(base_language(tag))["name_local"])


def language_tag(value: str | None) -> str | None:
    """``value`` as a shipped language tag (``"de"``, ``"en-US"``), or None when not shipped.

    Accepts ``de_AT``, ``DE-at`` and the like; the region is kept (it decides formats).
    """
    if not value:
        return None
    match = _TAG.match(value.strip())
    if match is None:
        return None
    base = match.group(1).lower()
    if base not in supported_languages():
        return None
    region = match.group(2)
    return f"{base}-{region.upper()}" if region else base


def base_language(tag: str) -> str:
    """``"de-AT"`` → ``"de"``."""
    return tag.split("-")[0].lower()


def validate_language(value: str) -> None:
    """Model and form validator: blank, or a shipped language tag."""
    if value and language_tag(value) != value:
        raise ValidationError(validate_language_message(value), code="language")


def validate_language_message(value: str) -> str:
    """The one wording for a language that is not shipped."""
    return str(
        _("%(value)s is not a supported language. Choose one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(supported_languages())}
    )


def from_accept_language(header: str | None) -> str | None:
    """The reader's most preferred shipped language in an ``Accept-Language`` header."""
    if not header or len(header) > 500:
        return None
    for code, _q in parse_accept_lang_header(header):
        if code == "*":
            continue
        tag = language_tag(code)
        if tag is not None:
            return tag
    return None


def first_of(*candidates: str | None) -> str:
    """The first candidate that is a shipped language tag, else the site default."""
    for candidate in candidates:
        tag = language_tag(candidate)
        if tag is not None:
            return tag
    return settings.LANGUAGE_CODE


def with_region_from(chosen: str, accept_language: str | None) -> str:
    """``chosen`` with the region the browser names for that language (``en`` → ``en-US``).

    Someone who picks English in the switcher on an American browser still gets a 12-hour
    clock; one who picks German there gets German formats.
    """
    if "-" in chosen:
        return chosen
    preferred = from_accept_language(accept_language)
    if preferred is not None and base_language(preferred) == chosen:
        return preferred
    return chosen


def active_tag() -> str:
    """The active language as a tag (``"en-US"``), the site default when none is active."""
    return language_tag(translation.get_language()) or settings.LANGUAGE_CODE


def to_django(tag: str) -> str:
    """Django's own spelling of a tag (``"en-us"``), for ``translation.override``."""
    return tag.lower()


@functools.cache
def _locale(tag: str) -> Locale:
    base = base_language(tag)
    region = tag.split("-")[1] if "-" in tag else _DEFAULT_REGION.get(base)
    try:
        return Locale(base, region) if region else Locale(base)
    except UnknownLocaleError:
        return Locale(base)


def locale(tag: str | None = None) -> Locale:
    """The Babel locale for ``tag`` (default: the active language)."""
    return _locale(language_tag(tag) or active_tag())


# --- formats (always in the active language unless ``tag`` is given) --------------------


def format_day(value: date | datetime, *, tag: str | None = None) -> str:
    """'Tuesday, 4 June 2030' / 'Dienstag, 4. Juni 2030' / 'tiistai 4. kesäkuuta 2030'."""
    return babel_dates.format_date(_date(value), format="full", locale=locale(tag))


#: Where a locale's own short date reads worse than the house style (British English keeps
#: the form its readers have always had: 'Tue 4 Jun 2030').
_SHORT_DAY_PATTERNS = {"en_GB": "EEE d MMM y"}


def format_short_day(value: date | datetime, *, tag: str | None = None) -> str:
    """'Tue 4 Jun 2030' / 'Di., 4. Juni 2030' / 'Tue, Jun 4, 2030' — for subjects and lists."""
    loc = locale(tag)
    pattern = _SHORT_DAY_PATTERNS.get(str(loc))
    if pattern is not None:
        return babel_dates.format_date(_date(value), format=pattern, locale=loc)
    return babel_dates.format_skeleton("yMMMEd", _date(value), locale=loc)


def format_day_month(value: date | datetime, *, tag: str | None = None) -> str:
    """'Tue 4 Jun' / 'Di., 4. Juni' — a day in the current week or month."""
    return babel_dates.format_skeleton("MMMEd", _date(value), locale=locale(tag))


def format_month(value: date | datetime, *, tag: str | None = None) -> str:
    """'June 2030' / 'Juni 2030' / 'kesäkuu 2030' (the stand-alone month name)."""
    return babel_dates.format_skeleton("yMMMM", _date(value), locale=locale(tag))


def format_clock(value: datetime, *, tag: str | None = None) -> str:
    """'10:00' in 24-hour locales, '10:00 AM' for en-US (``value`` already in its zone)."""
    return babel_dates.format_time(value, format="short", locale=locale(tag))


def format_price(
    amount: Decimal | float | int | str, currency: str, *, tag: str | None = None
) -> str:
    """'€20.00' / '20,00 €' / '20,00 €': the currency placed as the reader's locale does."""
    return babel_numbers.format_currency(Decimal(str(amount)), currency, locale=locale(tag))


def _date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- business content -------------------------------------------------------------------


def localized(obj: Any, field: str, *, tag: str | None = None) -> str:
    """``obj.<field>`` in the reader's language when the business entered it, else as stored.

    ``obj.translations`` is ``{"de": {"name": "…"}, …}``; a blank entry falls back.
    """
    base = base_language(language_tag(tag) or active_tag())
    translations = getattr(obj, "translations", None) or {}
    entry = translations.get(base) if isinstance(translations, dict) else None
    if isinstance(entry, dict):
        text = entry.get(field)
        if isinstance(text, str) and text.strip():
            return text
    return str(getattr(obj, field) or "")


def clean_translations(value: Any, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """A ``translations`` value with only shipped languages, known fields and non-blank text.

    Raises ValidationError for anything else, so an API client learns what it got wrong.
    """
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_("Translations must be an object keyed by language."))
    cleaned: dict[str, dict[str, str]] = {}
    for code, entry in value.items():
        if code not in supported_languages():
            raise ValidationError(validate_language_message(str(code)), code="language")
        if not isinstance(entry, dict):
            raise ValidationError(_("Translations must be an object keyed by language."))
        texts = {}
        for name, text in entry.items():
            if name not in fields or not isinstance(text, str):
                raise ValidationError(
                    _("%(name)s cannot be translated here."), params={"name": name}
                )
            if text.strip():
                texts[name] = text.strip()
        if texts:
            cleaned[code] = texts
    return cleaned
