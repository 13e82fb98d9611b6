"""Template helpers for customer pages: the language switcher and business content per language."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from slotwise.core import i18n
from slotwise.site import language

register = template.Library()


@register.inclusion_tag("site/_languages.html", takes_context=True)
def language_switcher(context: dict[str, Any]) -> dict[str, Any]:
    """Links to this page in every shipped language, each named in its own language."""
    request: HttpRequest | None = context.get("request")
    active = i18n.base_language(i18n.active_tag())
    links = [
        {
            "code": code,
            "name": name,
            "url": language.switch_url(request, code) if request is not None else f"?lang={code}",
            "current": code == active,
        }
        for code, name in i18n.language_names()
    ]
    return {"links": links}


@register.simple_tag
def page_language() -> str:
    """The page's language as a BCP 47 tag for ``<html lang>`` (``de-DE``, not ``de-de``)."""
    return i18n.active_tag()


@register.filter
def localized(obj: Any, field: str) -> str:
    """``{{ service|localized:"name" }}``: the business's own text in the reader's language."""
    if obj is None:
        return ""
    return i18n.localized(obj, field)


@register.filter
def price(amount: Any, currency: str) -> str:
    """``{{ booking.price|price:booking.currency }}`` in the reader's locale."""
    if amount in (None, ""):
        return ""
    return i18n.format_price(amount, currency)
