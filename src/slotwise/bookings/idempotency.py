"""Idempotency-Keys of booking requests: a retry (or a double submit) gets the booking the
first request made, never a second one.

Used by every face that creates bookings from outside: the staff API, the public API and the
booking page's form. A key is claimed before the booking is tried, completed with the
booking, and released when the attempt was refused, so the client may retry.
The ``IdempotencyRecord`` rows keep their table ``api_idempotencyrecord``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from slotwise.bookings.models import Booking, IdempotencyRecord
from slotwise.core import errors
from slotwise.core.errors import DomainError
from slotwise.core.models import Business

#: A claimed Idempotency-Key whose request never finished is released after this long.
IDEMPOTENCY_CLAIM_TIMEOUT = timedelta(minutes=5)


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    http_status = 409
    default_message = "This Idempotency-Key was already used for a different request."


class IdempotencyInProgress(DomainError):
    code = "idempotency_in_progress"
    http_status = 409
    default_message = "A request with this Idempotency-Key is still being processed. Retry later."


def idempotency_claim(
    *, business: Business, key: str, request_hash: str, now: datetime
) -> tuple[IdempotencyRecord, Booking | None]:
    """Claim ``key`` for a new request, or find the booking an earlier request made with it.

    Returns the record and, for a replay, the booking already created. The claim is committed
    on its own, so a concurrent request with the same key sees it and is told to retry.
    """
    key = key.strip()
    if not key or len(key) > 200 or not key.isprintable():
        raise errors.InvalidInput(
            _("The Idempotency-Key must be 1 to 200 printable characters."),
            field="Idempotency-Key",
        )
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                business=business, key=key, request_hash=request_hash, created_at=now
            )
        return record, None
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.select_related("booking").get(business=business, key=key)
    if record.request_hash != request_hash:
        raise IdempotencyConflict()
    if record.booking is None:
        if now - record.created_at < IDEMPOTENCY_CLAIM_TIMEOUT:
            raise IdempotencyInProgress()
        # The request that claimed the key died without finishing: let this one take over.
        IdempotencyRecord.objects.filter(pk=record.pk, booking__isnull=True).update(created_at=now)
        return record, None
    return record, record.booking


def idempotency_complete(*, record: IdempotencyRecord, booking: Booking) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(booking=booking)


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget a claim whose request failed (the failure changed nothing), so a retry may run."""
    IdempotencyRecord.objects.filter(pk=record.pk, booking__isnull=True).delete()


def idempotency_wait(*, business: Business, key: str) -> Booking | None:
    """The booking a concurrent request with the same ``key`` is making, once it has
    committed (polled for about five seconds); None when that request was refused."""
    for _attempt in range(25):
        record = (
            IdempotencyRecord.objects.filter(business=business, key=key)
            .select_related("booking")
            .first()
        )
        if record is None:
            return None  # that request was refused: nothing to show
        if record.booking is not None:
            return record.booking
        time.sleep(0.2)
    return None
