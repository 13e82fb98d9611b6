"""Drawing ratings on the customer pages: five stars filled to the half, and lookups by id."""

from __future__ import annotations

from typing import Any

from django import template

from slotwise.bookings.reviews import ReviewSummary, Stars

register = template.Library()


@register.filter
def star_shapes(value: Any) -> list[str]:
    """Five of "full", "half" or "empty" for an average (rounded to the nearest half star)."""
    try:
        halves = round(float(value) * 2)
    except (TypeError, ValueError):
        return ["empty"] * 5
    halves = max(0, min(10, halves))
    return [
        "full" if halves >= 2 * i else "half" if halves == 2 * i - 1 else "empty"
        for i in range(1, 6)
    ]


@register.filter
def service_stars(summary: Any, pk: Any) -> Stars | None:
    """The stars of one service in ``summary`` (None when it has none, or when the page shows
    no ratings and ``summary`` is not there)."""
    return summary.service(int(pk)) if isinstance(summary, ReviewSummary) else None


@register.filter
def provider_stars(summary: Any, pk: Any) -> Stars | None:
    """The stars of one provider in ``summary`` (None when it has none or is not there)."""
    return summary.provider(int(pk)) if isinstance(summary, ReviewSummary) else None


@register.filter
def share_of(count: int, total: int) -> int:
    """``count`` as a percentage of ``total`` in steps of 5 (for the bar classes; 0 when there
    is nothing), never 0 for a count above 0 so a single rating still shows."""
    if not total or not count:
        return 0
    return max(5, round(count * 20 / total) * 5)
