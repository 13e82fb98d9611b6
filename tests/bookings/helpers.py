"""Assertions shared by the action tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.forms.models import model_to_dict

from slotwise.bookings.models import Booking, BookingEvent, BookingToken, Payment
from slotwise.core import errors
from slotwise.notifications.models import Message


def database_state() -> dict[str, object]:
    """Everything an action could write, in a comparable form."""
    return {
        "bookings": [model_to_dict(b) for b in Booking.objects.order_by("pk")],
        "events": BookingEvent.objects.count(),
        "messages": [model_to_dict(m) for m in Message.objects.order_by("pk")],
        "payments": Payment.objects.count(),
        "tokens": BookingToken.objects.count(),
    }


@contextmanager
def refused(code: str) -> Iterator[None]:
    """The block raises a DomainError with ``code`` and leaves the database exactly as it was."""
    before = database_state()
    with pytest.raises(errors.DomainError) as info:
        yield
    assert info.value.code == code, info.value.message
    assert database_state() == before
