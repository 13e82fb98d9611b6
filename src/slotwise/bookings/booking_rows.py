"""A booking with what every request about it reads next, in one hand-written statement.

The manage link (``tokens.token_verify``) and the booking's lock (``actions._common.
lock_booking``) each read a booking with its business, service, provider, customer and
booking page. Through the ORM that is a five-way ``select_related`` whose building cost more
than running it, on every reschedule and cancel; here the statement is written once per shape
and its rows read back as the ORM would (``core/sqlrows.py``). Only table and column names
from the models go into the text; every value is a parameter.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection

from slotwise.bookings.models import Booking, BookingPage, BookingToken
from slotwise.catalog.models import Customer, Provider, Service
from slotwise.core import sqlrows
from slotwise.core.models import Business

_PARTS = (
    sqlrows.Columns(Booking, "bk"),
    sqlrows.Columns(Business, "b"),
    sqlrows.Columns(Service, "s"),
    sqlrows.Columns(Provider, "pr"),
    sqlrows.Columns(Customer, "c"),
    sqlrows.Columns(BookingPage, "p"),
)


@functools.cache
def _sql(by_token: bool, of_business: bool, lock: bool) -> str:
    select = ", ".join(part.select() for part in _PARTS)
    sql = (
        f"SELECT {select}{', t.token_hash' if by_token else ''} "  # noqa: S608
        f"FROM {Booking._meta.db_table} bk "
        f"INNER JOIN {Business._meta.db_table} b ON b.id = bk.business_id "
        f"INNER JOIN {Service._meta.db_table} s ON s.id = bk.service_id "
        f"INNER JOIN {Provider._meta.db_table} pr ON pr.id = bk.provider_id "
        f"INNER JOIN {Customer._meta.db_table} c ON c.id = bk.customer_id "
        f"LEFT JOIN {BookingPage._meta.db_table} p ON p.id = bk.booking_page_id "
    )
    if by_token:
        sql += (
            f"INNER JOIN {BookingToken._meta.db_table} t ON t.booking_id = bk.id "
            "WHERE t.token_hash = %s AND t.purpose = %s"
        )
    else:
        sql += "WHERE bk.id = %s"
    if of_business:
        sql += " AND bk.business_id = %s"
    if lock and connection.features.has_select_for_update_of:
        # Only the booking's row (PostgreSQL); SQLite's IMMEDIATE transaction holds the
        # database's write lock already (actions._common.write_transaction).
        sql += " FOR UPDATE OF bk"
    return sql


def _booking(row: Any) -> Booking:
    objects: list[Any] = []
    start = 0
    for part in _PARTS:
        objects.append(part.build(row, start))
        start += part.width
    booking, business, service, provider, customer, page = objects
    booking.business = business
    booking.service = service
    booking.provider = provider
    booking.customer = customer
    booking.booking_page = page
    assert isinstance(booking, Booking)
    return booking


def by_token(token_hash: str, purpose: str) -> tuple[Booking, str] | None:
    """The booking a token's hash opens for ``purpose``, and the stored hash; None if none."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(True, False, False), [token_hash, purpose])
        row = cursor.fetchone()
    return None if row is None else (_booking(row), row[-1])


def locked(booking_id: int, business_id: int | None = None) -> Booking | None:
    """The booking, its row locked until the transaction ends (PostgreSQL); None if none (or
    not of ``business_id``)."""
    args = [booking_id] if business_id is None else [booking_id, business_id]
    with connection.cursor() as cursor:
        cursor.execute(_sql(False, business_id is not None, True), args)
        row = cursor.fetchone()
    return None if row is None else _booking(row)
