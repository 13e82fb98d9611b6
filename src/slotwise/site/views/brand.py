"""A business's colours as a small stylesheet, so the pages keep their strict CSP.

The customer pages allow styles from this site only (``style-src 'self'``): no inline
``style`` attribute or ``<style>`` element. The business's accent is served as a stylesheet
of its own, linked from the page head with the colour in its query string, so a changed
colour is a new URL and browsers may cache each one.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from slotwise.core import branding
from slotwise.core.models import Business


@require_safe
def brand_css(request: HttpRequest, business_slug: str) -> HttpResponse:
    """``:root`` custom properties for the business's accent; empty when it has none."""
    business = get_object_or_404(Business.objects.only("accent_color"), slug=business_slug)
    # Stored colours passed the check already; normalising again means that whatever is in
    # the row, only a #rrggbb value can ever reach the stylesheet.
    colour = branding.normalise_hex(business.accent_color or "")
    css = branding.palette(colour).css() if colour else ""
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
