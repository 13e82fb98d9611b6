"""Scale: do availability and booking stay fast with a million bookings in PostgreSQL?

The database is filled with set-based SQL (``INSERT … SELECT generate_series``): 100
businesses, 1,000 providers and about 1,000,000 bookings over two years of history and three
months ahead, each with the rows a real booking leaves behind — history events, customer link
tokens, outbox messages (sent confirmations and staff alerts, sent, queued and cancelled
reminders, cancellation emails, rating requests) and some ratings. Every constraint holds:
for speed the big tables' secondary indexes, foreign keys, unique constraints and the
no-overlap exclusion constraint are dropped during the load and added back afterwards, which
checks every row.

The fill happens in two steps so that one run compares a small database with a big one on
the same data where it matters: first only the bookings near today (what availability
reads), then the two years of history. Availability is timed in process after each step;
over HTTP (``bench/http.py``) it is timed on the big database and compared with the same
requests on the small one. The hot queries are EXPLAINed on the big database, with the
indexes this project adds for them and, for comparison, without.

    .venv/bin/python -m bench.scale --database postgresql [--quick]
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.common import BenchDatabase, Report, Result, main, summarize, timed_ms

#: Indexes added for the hot queries at scale (see tests/test_indexes.py): dropped for the
#: "without" plans and timings, then restored.
NEW_INDEXES = (
    "booking_provider_busy_idx",
    "booking_provider_confirmed_idx",
    "customer_business_email_ci_idx",
    "event_customer_changes_idx",
)

#: Tables filled by the million-row load; their secondary indexes and constraints are
#: rebuilt after it.
BULK_TABLES = (
    "bookings_booking",
    "bookings_bookingevent",
    "bookings_bookingtoken",
    "bookings_rating",
    "notifications_message",
)

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # the references' alphabet (bookings/_common)
SLOTS_PER_DAY = 6  # 90-minute grid: 07:00 … 14:30 UTC, so a booking never overlaps another
REMINDER_MINUTES = 1440
TARGET = 1.5  # the big database may be at most this much slower than the small one


@dataclass(frozen=True)
class Shape:
    """How much data: businesses, providers, and how densely their days are booked."""

    businesses: int
    providers: int
    big_business_providers: int  # one business has this many, for "any provider" timings
    customers_per_business: int
    bookings_per_provider: int
    past_days: int = 730
    future_days: int = 90

    @property
    def density_permille(self) -> int:
        """Share of the 90-minute grid slots that hold a booking, in thousandths."""
        slots = (self.past_days + self.future_days) * SLOTS_PER_DAY
        return max(1, round(1000 * self.bookings_per_provider / slots))


FULL = Shape(
    businesses=100,
    providers=1000,
    big_business_providers=50,
    customers_per_business=2000,
    bookings_per_provider=1000,
)
QUICK = Shape(
    businesses=10,
    providers=100,
    big_business_providers=50,
    customers_per_business=200,
    bookings_per_provider=100,
)


# --- filling --------------------------------------------------------------------------------


def _exec(sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> int:
    """Run one statement on Django's connection; returns the row count."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        # Always with parameters, so "%%" means "%" in every statement.
        cur.execute(sql, params if params is not None else {})
        count = cur.rowcount
    seconds = time.perf_counter() - started
    if seconds > 2:  # the load's slow steps, to see where its minutes go
        print(f"  {seconds:6.1f} s  {' '.join(sql.split())[:90]}", file=sys.stderr, flush=True)
    return count


def _rows(sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params if params is not None else {})
        return list(cur.fetchall())


def fill_catalog(shape: Shape, *, now: datetime) -> None:
    """Businesses ``scale-NNN`` with services, providers, hours, time off, customers, a page."""
    p = {
        "n": shape.businesses,
        "providers": shape.providers,
        "big": shape.big_business_providers,
        "customers": shape.customers_per_business,
        "now": now,
    }
    _exec(
        """
        INSERT INTO core_business (slug, name, timezone, contact_email, phone, address, currency,
            slot_step_minutes, min_notice_minutes, max_days_ahead, created_at)
        SELECT format('scale-%%s', lpad(g::text, 3, '0')), format('Studio %%s', g),
            'Europe/Berlin', format('desk@studio%%s.example', g), '', '', 'EUR', 15, 60, 90,
            %(now)s - interval '3 years'
        FROM generate_series(1, %(n)s) g
        """,
        p,
    )
    _exec(
        "CREATE TEMP TABLE scale_business AS SELECT id, slug FROM core_business "
        "WHERE slug LIKE 'scale-%%'"
    )
    _exec(
        """
        INSERT INTO notifications_notificationsettings (business_id, provider_on_created,
            provider_on_rescheduled, provider_on_cancelled, business_on_created,
            business_on_rescheduled, business_on_cancelled)
        SELECT id, true, true, true, false, true, true FROM scale_business;
        INSERT INTO notifications_reminderrule (business_id, minutes_before)
        SELECT id, %(minutes)s FROM scale_business;
        INSERT INTO catalog_service (business_id, name, description, duration_minutes, price,
            currency, buffer_before_minutes, buffer_after_minutes, active)
        SELECT b.id, s.name, '', s.duration, s.price, 'EUR', 0, s.buffer, true
        FROM scale_business b,
            (VALUES ('Consultation', 60, 15, 60.00), ('Short visit', 30, 0, 30.00))
            AS s(name, duration, buffer, price)
        """,
        {"minutes": REMINDER_MINUTES},
    )
    # Provider g goes to business 1 (the big one) for g <= big, else round-robin over the rest.
    _exec(
        """
        INSERT INTO catalog_provider (business_id, name, email, phone, active,
            receives_notifications)
        SELECT b.id, format('Provider %%s', g), format('provider%%s@scale.example', g), '',
            true, true
        FROM generate_series(1, %(providers)s) g
        JOIN scale_business b ON b.slug = format('scale-%%s', lpad((CASE
            WHEN g <= %(big)s THEN 1
            ELSE 2 + (g - %(big)s - 1) %% greatest(%(n)s - 1, 1) END)::text, 3, '0'))
        """,
        p,
    )
    _exec(
        """
        CREATE TEMP TABLE scale_provider AS
        SELECT p.id, p.business_id, p.email, p.name FROM catalog_provider p
        JOIN scale_business b ON b.id = p.business_id;
        INSERT INTO catalog_provider_services (provider_id, service_id)
        SELECT p.id, s.id FROM scale_provider p JOIN catalog_service s
            ON s.business_id = p.business_id;
        INSERT INTO catalog_workinghours (provider_id, weekday, start, "end")
        SELECT p.id, d, '08:00', '18:00' FROM scale_provider p, generate_series(0, 5) d;
        INSERT INTO bookings_bookingpage (business_id, slug, title, intro, any_provider,
            min_notice_minutes, max_days_ahead, slot_step_minutes, allow_cancel,
            allow_reschedule, change_deadline_minutes, max_reschedules, active)
        SELECT id, 'online', 'Book online', '', true, 120, 90, 30, true, true, 1440, NULL, true
        FROM scale_business;
        INSERT INTO bookings_bookingpage_services (bookingpage_id, service_id)
        SELECT pg.id, s.id FROM bookings_bookingpage pg
        JOIN scale_business b ON b.id = pg.business_id
        JOIN catalog_service s ON s.business_id = b.id;
        INSERT INTO bookings_bookingpage_providers (bookingpage_id, provider_id)
        SELECT pg.id, p.id FROM bookings_bookingpage pg
        JOIN scale_provider p ON p.business_id = pg.business_id
        """
    )
    _exec(
        """
        INSERT INTO catalog_customer (business_id, name, email, phone, timezone, created_at)
        SELECT b.id, format('Customer %%s', c), format('c%%s.%%s@mail.example', c, b.id), '',
            '', %(now)s - interval '2 years'
        FROM scale_business b, generate_series(1, %(customers)s) c
        """,
        p,
    )


def adopt_business(
    *, business_id: int, provider_ids: Iterable[int], customers: int, now: datetime
) -> None:
    """Give an existing business (the HTTP benchmark's) customers, and its providers bulk
    bookings like everyone else's."""
    _exec(
        """
        INSERT INTO catalog_customer (business_id, name, email, phone, timezone, created_at)
        SELECT %(b)s, format('History customer %%s', c), format('h%%s@mail.example', c), '', '',
            %(now)s - interval '2 years'
        FROM generate_series(1, %(customers)s) c
        """,
        {"b": business_id, "customers": customers, "now": now},
    )
    _exec(
        "INSERT INTO scale_provider SELECT id, business_id, email, name FROM catalog_provider "
        "WHERE id = ANY(%s)",
        [list(provider_ids)],
    )


def _time_off(shape: Shape, *, now: datetime) -> None:
    """One day off every 40 days per provider; those days get no bookings."""
    _exec(
        """
        INSERT INTO catalog_timeoff (provider_id, start, "end", reason)
        SELECT p.id, date_trunc('day', %(now)s) + d * interval '1 day',
            date_trunc('day', %(now)s) + (d + 1) * interval '1 day', 'Day off'
        FROM scale_provider p, generate_series(-%(past)s, %(future)s) d
        WHERE (d + p.id) %% 40 = 0
        """,
        {"now": now, "past": shape.past_days, "future": shape.future_days},
    )


def clear_time_off(keep_free: Sequence[tuple[int, datetime, datetime]]) -> None:
    """No day off inside the windows the HTTP benchmark books: the filler's days off (every
    40th day by provider id) would otherwise land on some of its providers' booking days and
    turn those requests into (correct) refusals."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.executemany(
            'DELETE FROM catalog_timeoff WHERE provider_id = %s AND start < %s AND "end" > %s',
            [(provider, hi, lo) for provider, lo, hi in keep_free],
        )


def fill_bookings(
    shape: Shape,
    *,
    now: datetime,
    day_from: int,
    day_to: int,
    keep_free: Sequence[tuple[int, datetime, datetime]] = (),
) -> int:
    """Bookings on days [day_from, day_to) relative to today, with their events, tokens,
    messages and ratings; returns how many bookings were written.

    A provider's day has six 90-minute places; each is booked with the shape's density,
    picked by a hash so every run writes the same rows. ``keep_free`` lists (provider id,
    start, end) windows that must stay empty (the HTTP benchmark books there).
    """
    _exec("DROP TABLE IF EXISTS scale_keep_free")
    _exec("CREATE TEMP TABLE scale_keep_free (provider_id bigint, lo timestamptz, hi timestamptz)")
    if keep_free:
        from django.db import connection

        with connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO scale_keep_free VALUES (%s, %s, %s)", [tuple(k) for k in keep_free]
            )
    # Per business: its customers (numbered), its bookable services (numbered; those that fit
    # the 90-minute grid) and its first booking page.
    _exec(
        """
        DROP TABLE IF EXISTS scale_cust;
        CREATE TEMP TABLE scale_cust AS
        SELECT id, business_id,
            row_number() OVER (PARTITION BY business_id ORDER BY id) - 1 AS k,
            count(*) OVER (PARTITION BY business_id) AS n
        FROM catalog_customer
        WHERE business_id IN (SELECT business_id FROM scale_provider);
        DROP TABLE IF EXISTS scale_svc;
        CREATE TEMP TABLE scale_svc AS
        SELECT s.id, s.business_id, s.duration_minutes, s.buffer_before_minutes,
            s.buffer_after_minutes, s.price, s.currency,
            row_number() OVER (PARTITION BY s.business_id ORDER BY s.id) - 1 AS k,
            count(*) OVER (PARTITION BY s.business_id) AS n
        FROM catalog_service s
        WHERE s.business_id IN (SELECT business_id FROM scale_provider)
          AND s.duration_minutes + s.buffer_before_minutes + s.buffer_after_minutes <= 90;
        DROP TABLE IF EXISTS scale_page;
        CREATE TEMP TABLE scale_page AS
        SELECT business_id, min(id) AS id FROM bookings_bookingpage
        WHERE business_id IN (SELECT business_id FROM scale_provider) GROUP BY business_id
        """
    )
    # Candidate places, kept by a stable hash, away from time off and the kept-free windows.
    _exec(
        """
        DROP TABLE IF EXISTS scale_new;
        CREATE TEMP TABLE scale_new AS
        WITH slot AS (
            SELECT p.id AS provider_id, p.business_id,
                date_trunc('day', %(now)s) + d * interval '1 day'
                    + interval '7 hours' + s * interval '90 minutes' AS place,
                abs(hashtext(p.id || ':' || d || ':' || s)) AS h
            FROM scale_provider p, generate_series(%(lo)s, %(hi)s - 1) d,
                generate_series(0, %(slots)s - 1) s
            WHERE (d + p.id) %% 40 <> 0
        )
        SELECT slot.provider_id, slot.business_id, slot.h,
            slot.place + sv.buffer_before_minutes * interval '1 minute' AS start,
            sv.id AS service_id, sv.duration_minutes, sv.buffer_before_minutes,
            sv.buffer_after_minutes, sv.price, sv.currency,
            c.id AS customer_id, pg.id AS page_id
        FROM slot
        JOIN scale_svc sv ON sv.business_id = slot.business_id
            AND sv.k = (slot.h / 10) %% sv.n
        JOIN (SELECT DISTINCT business_id, n FROM scale_cust) cn
            ON cn.business_id = slot.business_id
        JOIN scale_cust c ON c.business_id = slot.business_id AND c.k = (slot.h / 7) %% cn.n
        LEFT JOIN scale_page pg ON pg.business_id = slot.business_id
        WHERE slot.h %% 1000 < %(density)s
          AND NOT EXISTS (
            SELECT 1 FROM scale_keep_free k
            WHERE k.provider_id = slot.provider_id
              AND k.lo < slot.place + interval '90 minutes' AND k.hi > slot.place
          )
        """,
        {
            "now": now,
            "lo": day_from,
            "hi": day_to,
            "slots": SLOTS_PER_DAY,
            "density": shape.density_permille,
        },
    )
    # Past: 85 % completed, 5 % no-show, 10 % cancelled; future: 90 % confirmed, 10 % cancelled.
    # Created 1–30 days before the start (never after now); 70 % booked on the web page. The
    # reference spells a global counter in the references' own alphabet: unique, real-looking.
    digits = " || ".join(
        f"substr(%(alphabet)s, ((x.num >> {5 * (5 - i)}) & 31)::int + 1, 1)" for i in range(6)
    )
    (last_id,) = _rows("SELECT coalesce(max(id), 0) FROM bookings_booking")[0]
    _exec("CREATE TEMP SEQUENCE IF NOT EXISTS scale_ref_seq START 1048576")
    n = _exec(
        f"""
        INSERT INTO bookings_booking (business_id, reference, source, booking_page_id,
            service_id, provider_id, customer_id, start, "end", blocked_start, blocked_end,
            status, allow_cancel, allow_reschedule, change_deadline_minutes, max_reschedules,
            reschedule_count, version, cancelled_at, cancelled_by, cancellation_reason, price,
            currency, notes, created_at, updated_at, cloned_from_id)
        SELECT x.business_id, 'SW-' || {digits}, x.source,
            CASE WHEN x.source = 'web' THEN x.page_id END,
            x.service_id, x.provider_id, x.customer_id, x.start, x.finish,
            x.start - x.buffer_before_minutes * interval '1 minute',
            x.finish + x.buffer_after_minutes * interval '1 minute', x.status,
            x.source = 'web', x.source = 'web', 1440, NULL, 0,
            CASE WHEN x.status = 'confirmed' THEN 1 ELSE 2 END,
            CASE WHEN x.status = 'cancelled' THEN x.cancelled END,
            CASE WHEN x.status = 'cancelled' THEN 'customer' ELSE '' END,
            '', x.price, x.currency, '', x.created,
            CASE WHEN x.status = 'cancelled' THEN x.cancelled
                 WHEN x.start < %(now)s THEN x.finish ELSE x.created END,
            NULL
        FROM (
            SELECT y.*, y.created + (least(y.start, %(now)s) - y.created) / 2 AS cancelled
            FROM (
                SELECT n.*, nextval('scale_ref_seq') AS num,
                    n.start + n.duration_minutes * interval '1 minute' AS finish,
                    CASE WHEN (n.h / 1000) %% 10 < 7 AND n.page_id IS NOT NULL THEN 'web'
                         ELSE 'custom' END AS source,
                    CASE WHEN n.h %% 10 = 0 THEN 'cancelled'
                         WHEN n.start >= %(now)s THEN 'confirmed'
                         WHEN n.h %% 20 = 1 THEN 'no_show'
                         ELSE 'completed' END AS status,
                    least(n.start - (1 + n.h %% 30) * interval '1 day',
                          %(now)s - interval '1 hour') AS created
                FROM scale_new n
            ) y
        ) x
        WHERE NOT EXISTS (
            SELECT 1 FROM bookings_booking o WHERE o.reference = 'SW-' || {digits}
        )
        """,
        {"now": now, "alphabet": ALPHABET},
    )
    _dependents(now=now, after_id=last_id)
    return n


def _dependents(*, now: datetime, after_id: int) -> None:
    """History, link tokens, outbox rows and ratings of the bookings just written (those
    with an id above ``after_id``)."""
    _exec(
        """
        DROP TABLE IF EXISTS scale_b;
        CREATE TEMP TABLE scale_b AS
        SELECT b.id, b.business_id, b.reference, b.source, b.status, b.start, b."end",
            b.provider_id, b.created_at, b.cancelled_at, b.version,
            c.email AS customer_email, c.name AS customer_name,
            p.email AS provider_email, p.name AS provider_name, s.name AS service_name,
            jsonb_build_object('version', 1, 'start', b.start, 'end', b."end",
                'provider_id', b.provider_id, 'provider_name', p.name,
                'service_name', s.name) AS context
        FROM bookings_booking b
        JOIN scale_provider p ON p.id = b.provider_id
        JOIN catalog_customer c ON c.id = b.customer_id
        JOIN catalog_service s ON s.id = b.service_id
        WHERE b.id > %(after)s
        """,
        {"after": after_id},
    )
    _exec(
        """
        INSERT INTO bookings_bookingevent (business_id, booking_id, kind, actor_kind,
            actor_user_id, actor_label, old, new, created_at)
        SELECT business_id, id, 'created',
            CASE WHEN source = 'web' THEN 'customer' ELSE 'staff' END, NULL::integer,
            CASE WHEN source = 'web' THEN customer_name ELSE 'Front desk' END, '{}'::jsonb,
            jsonb_build_object('start', start, 'end', "end", 'provider_id', provider_id,
                'provider', provider_name, 'status', 'confirmed', 'source', source),
            created_at
        FROM scale_b
        UNION ALL
        SELECT business_id, id, status,
            CASE WHEN status = 'cancelled' THEN 'customer' ELSE 'staff' END, NULL,
            CASE WHEN status = 'cancelled' THEN customer_name ELSE 'Front desk' END,
            '{"status": "confirmed"}'::jsonb, jsonb_build_object('status', status),
            coalesce(cancelled_at, "end")
        FROM scale_b WHERE status <> 'confirmed'
        """
    )
    _exec(
        """
        INSERT INTO bookings_bookingtoken (booking_id, purpose, token_hash, created_at)
        SELECT id, 'manage', encode(sha256(convert_to('scale-manage-' || id, 'UTF8')), 'hex'),
            created_at
        FROM scale_b WHERE source = 'web'
        UNION ALL
        SELECT id, 'rate', encode(sha256(convert_to('scale-rate-' || id, 'UTF8')), 'hex'),
            "end"
        FROM scale_b WHERE status = 'completed' AND source = 'web'
        """
    )
    # The outbox as the actions leave it: confirmation and staff alert (sent), the reminder
    # (sent, still queued, or cancelled with the booking), cancellation emails, rating asks.
    _exec(
        """
        INSERT INTO notifications_message (business_id, booking_id, channel, kind, recipient,
            recipient_name, audience, context, reminder_minutes, dedupe_key, status, due_at,
            next_attempt_at, attempts, max_attempts, lease_expires_at, locked_by, last_error,
            sent_at, created_at)
        SELECT business_id, id, 'email', m.kind, m.recipient, m.recipient_name, m.audience,
            context, m.reminder_minutes, m.dedupe_key, m.status, m.due_at, m.due_at,
            CASE WHEN m.status = 'sent' THEN 1 ELSE 0 END, 8, NULL, '', m.last_error,
            CASE WHEN m.status = 'sent' THEN m.due_at + interval '3 seconds' END, created_at
        FROM scale_b b
        CROSS JOIN LATERAL (
            SELECT 'confirmation' AS kind, b.customer_email AS recipient,
                b.customer_name AS recipient_name, 'customer' AS audience,
                NULL::int AS reminder_minutes,
                format('confirmation:%%s:v1:customer:%%s', b.id, b.customer_email)
                    AS dedupe_key, 'sent' AS status, b.created_at AS due_at, '' AS last_error
            UNION ALL
            SELECT 'staff_created', b.provider_email, b.provider_name, 'provider', NULL,
                format('staff_created:%%s:v1:provider:%%s', b.id, b.provider_email), 'sent',
                b.created_at, ''
            UNION ALL
            SELECT 'reminder', b.customer_email, b.customer_name, 'customer', %(minutes)s,
                format('reminder:%%s:%%s:v1', b.id, %(minutes)s),
                CASE WHEN b.status = 'cancelled' THEN 'cancelled'
                     WHEN b.start - %(minutes)s * interval '1 minute' <= %(now)s THEN 'sent'
                     ELSE 'queued' END,
                b.start - %(minutes)s * interval '1 minute',
                CASE WHEN b.status = 'cancelled' THEN 'booking no longer confirmed' ELSE '' END
            WHERE b.start - %(minutes)s * interval '1 minute' > b.created_at
            UNION ALL
            SELECT 'cancelled', b.customer_email, b.customer_name, 'customer', NULL,
                format('cancelled:%%s:v2:customer:%%s', b.id, b.customer_email), 'sent',
                b.cancelled_at, ''
            WHERE b.status = 'cancelled'
            UNION ALL
            SELECT 'staff_cancelled', b.provider_email, b.provider_name, 'provider', NULL,
                format('staff_cancelled:%%s:v2:provider:%%s', b.id, b.provider_email), 'sent',
                b.cancelled_at, ''
            WHERE b.status = 'cancelled'
            UNION ALL
            SELECT 'rating_request', b.customer_email, b.customer_name, 'customer', NULL,
                format('rating_request:%%s:v2:customer:%%s', b.id, b.customer_email), 'sent',
                b."end", ''
            WHERE b.status = 'completed' AND b.source = 'web'
        ) m
        """,
        {"now": now, "minutes": REMINDER_MINUTES},
    )
    _exec(
        """
        INSERT INTO bookings_rating (business_id, booking_id, stars, comment, created_at)
        SELECT business_id, id, 3 + id %% 3, '', "end" + interval '1 day'
        FROM scale_b WHERE status = 'completed' AND source = 'web' AND id %% 10 < 3
        """
    )


@dataclass
class Deferred:
    """Secondary indexes and constraints of the bulk tables, dropped while loading."""

    indexes: list[tuple[str, str]]  # (name, CREATE INDEX statement)
    constraints: list[tuple[str, str, str]]  # (table, name, definition)


def defer_indexes() -> Deferred:
    """Drop foreign keys, the exclusion constraint and plain indexes of the bulk tables.

    Loading into bare tables and building each index once is several times faster than
    maintaining nine indexes row by row; adding the constraints back checks every row.
    Unique constraints go too (re-adding one checks that no value repeats); primary keys
    stay.
    """
    tables = list(BULK_TABLES)
    constraints = _rows(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('f', 'x', 'u')
        ORDER BY c.contype, c.conname
        """,
        [tables],
    )
    for table, name, _ in constraints:
        _exec(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    indexes = _rows(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.indexname
        """,
        [tables],
    )
    for name, _ in indexes:
        _exec(f'DROP INDEX "{name}"')
    return Deferred(indexes=[(n, d) for n, d in indexes], constraints=constraints)


def restore_indexes(deferred: Deferred) -> None:
    """Rebuild what ``defer_indexes`` dropped; a violated constraint fails here."""
    _exec("SET maintenance_work_mem = '256MB'")
    for _, definition in deferred.indexes:
        _exec(definition)
    for table, name, definition in deferred.constraints:
        _exec(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def vacuum_analyze() -> None:
    for table in (
        *BULK_TABLES,
        "catalog_customer",
        "catalog_timeoff",
        "catalog_workinghours",
        "catalog_provider",
        "slotwise_cache",
    ):
        _exec(f"VACUUM ANALYZE {table}")


def table_sizes() -> list[tuple[str, int, str]]:
    return [
        (t, int(n), size)
        for t, n, size in _rows(
            """
            SELECT c.relname, c.reltuples::bigint,
                pg_size_pretty(pg_total_relation_size(c.oid))
            FROM pg_class c WHERE c.relname = ANY(%s) ORDER BY c.relname
            """,
            [[*BULK_TABLES, "catalog_customer", "catalog_timeoff"]],
        )
    ]


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Target:
    """What the in-process timings and the plans use: the big business and its parts."""

    business_id: int
    provider_id: int
    free_day: date  # a working day on which ``provider_id`` has nothing booked
    reserve: list[tuple[int, datetime, datetime]]


def pick_target(shape: Shape, *, now: datetime) -> Target:
    """The 50-provider business ``scale-001``, its first provider and a day kept free."""
    from zoneinfo import ZoneInfo

    business_id, provider_id = _rows(
        "SELECT b.id, min(p.id) FROM core_business b JOIN catalog_provider p "
        "ON p.business_id = b.id WHERE b.slug = 'scale-001' GROUP BY b.id"
    )[0]
    tz = ZoneInfo("Europe/Berlin")
    today = now.astimezone(tz).date()
    day = today + timedelta(days=min(75, shape.future_days - 10))
    # A working day (Monday–Saturday) that is not the provider's day off.
    while day.weekday() == 6 or ((day - now.date()).days + provider_id) % 40 == 0:
        day += timedelta(days=1)
    lo = datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    return Target(business_id, provider_id, day, [(provider_id, lo, lo + timedelta(days=1))])


class QueryLog:
    """Collects the SQL (with parameters) that Django sends, for EXPLAIN afterwards."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, Any]] = []

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries.append((sql, params))
        return execute(sql, params, many, context)


def captured(fn: Callable[[], Any]) -> list[tuple[str, Any]]:
    from django.db import connection

    log = QueryLog()
    with connection.execute_wrapper(log):
        fn()
    return log.queries


@dataclass
class Workload:
    """The application calls whose queries matter at scale, built on the big business."""

    target: Target
    now: datetime

    def _objects(self) -> tuple[Any, Any, Any, Any]:
        from slotwise.bookings.models import BookingPage
        from slotwise.catalog.models import Provider, Service

        page = BookingPage.objects.select_related("business").get(
            business_id=self.target.business_id, slug="online"
        )
        service = Service.objects.select_related("business").get(
            business_id=self.target.business_id, name="Consultation"
        )
        provider = Provider.objects.select_related("business").get(pk=self.target.provider_id)
        return page, service, provider, page.business

    def month(self) -> tuple[datetime, datetime]:
        from zoneinfo import ZoneInfo

        tz = ZoneInfo("Europe/Berlin")
        first = self.now.astimezone(tz).date() + timedelta(days=1)
        lo = datetime.combine(first, datetime.min.time(), tzinfo=tz)
        return lo.astimezone(UTC), (lo + timedelta(days=31)).astimezone(UTC)

    def slots_one(self) -> Any:
        from slotwise.bookings import availability_queries as loaders

        page, service, provider, _ = self._objects()
        lo, hi = self.month()
        return lambda: loaders.slots_for(
            service=service,
            window_start=lo,
            window_end=hi,
            now=self.now,
            page=page,
            provider=provider,
        )

    def slots_any(self) -> Any:
        from slotwise.bookings import availability_queries as loaders

        page, service, _, _ = self._objects()
        lo, hi = self.month()
        return lambda: loaders.slots_for(
            service=service, window_start=lo, window_end=hi, now=self.now, page=page
        )

    def book_and_cancel(self) -> Callable[[], None]:
        """A web booking for "any provider" on the free day, then the customer's cancel."""
        from zoneinfo import ZoneInfo

        from slotwise.bookings import actions
        from slotwise.bookings.actions.create import CustomerDetails
        from slotwise.bookings.actor import Actor

        page, service, _, _ = self._objects()
        tz = ZoneInfo("Europe/Berlin")
        start = datetime.combine(self.target.free_day, datetime.min.time(), tzinfo=tz)
        start = start.replace(hour=12, minute=30).astimezone(UTC)
        # Only the target provider is free all that day, so "any provider" picks them
        # unless another happens to be free at 12:30; either way the cancel frees it again.
        counter = iter(range(10**9))

        def go() -> None:
            booking, _ = actions.booking_create_web(
                page=page,
                service=service,
                provider=None,
                start=start,
                customer=CustomerDetails(name="Bench", email=f"bench{next(counter)}@x.example"),
                now=self.now,
            )
            actions.booking_cancel(
                booking_id=booking.pk,
                business_id=booking.business_id,
                actor=Actor.customer("Bench"),
                now=self.now,
            )

        return go


# --- plans ----------------------------------------------------------------------------------


@dataclass
class Plan:
    label: str
    summary: str  # the plan's shape: nodes, with the index or table each reads
    rows: int  # rows the top node returned
    ms: float  # execution time reported by EXPLAIN ANALYZE
    buffers: int  # shared blocks hit + read


def _nodes(node: dict[str, Any], out: list[str]) -> None:
    kind = node["Node Type"]
    if node.get("Index Name"):
        kind += f" using {node['Index Name']}"
    elif node.get("Relation Name"):
        kind += f" on {node['Relation Name']}"
    rows = int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 1) or 1)
    removed = int(node.get("Rows Removed by Filter", 0)) * int(node.get("Actual Loops", 1) or 1)
    detail = f"{rows} rows" + (f", {removed} filtered out" if removed else "")
    if kind.split()[0] not in {"Result", "LockRows", "ModifyTable"} or node.get("Plans") is None:
        out.append(f"{kind} ({detail})")
    for child in node.get("Plans", []):
        if child.get("Parent Relationship") == "InitPlan":
            continue
        _nodes(child, out)


def explain(label: str, sql: str, params: Any) -> Plan:
    """EXPLAIN (ANALYZE, BUFFERS) one captured statement; writes are rolled back."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            raw = cur.fetchone()[0]
        transaction.set_rollback(True)
    doc = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    top = doc["Plan"]
    nodes: list[str] = []
    _nodes(top, nodes)
    return Plan(
        label=label,
        summary=" → ".join(nodes),
        rows=int(top.get("Actual Rows", 0)),
        ms=float(doc.get("Execution Time", 0.0)),
        buffers=int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0)),
    )


def _pick(queries: list[tuple[str, Any]], *needles: str) -> tuple[str, Any]:
    """The first captured statement that contains every needle ("" when none does)."""
    for sql, params in queries:
        if all(n in sql for n in needles):
            return sql, params
    return "", None


def hot_queries(work: Workload) -> list[tuple[str, str, Any]]:
    """(label, sql, params) of every query the scale figures depend on, from the real code."""
    from django.core.paginator import Paginator
    from django.db import transaction

    from slotwise.bookings import selectors
    from slotwise.bookings.tokens import token_verify
    from slotwise.core import ratelimit
    from slotwise.core.models import Business
    from slotwise.notifications import selectors as outbox_selectors
    from slotwise.notifications import worker

    out: list[tuple[str, str, Any]] = []
    one = captured(work.slots_one())
    out.append(("availability: working hours", *_pick(one, '"catalog_workinghours"')))
    out.append(("availability: time off", *_pick(one, '"catalog_timeoff"')))
    out.append(
        (
            "availability: 1 provider's bookings, 31 days",
            *_pick(one, '"bookings_booking"', "blocked_end"),
        )
    )
    many = captured(work.slots_any())
    out.append(("availability: providers of the page", *_pick(many, '"catalog_provider"')))
    out.append(
        (
            "availability: 50 providers' bookings, 31 days",
            *_pick(many, '"bookings_booking"', "blocked_end"),
        )
    )
    book = captured(work.book_and_cancel())
    out.append(("create: lock the candidates", *_pick(book, "FOR UPDATE", '"catalog_provider"')))
    out.append(("create: candidates' load that day", *_pick(book, "COUNT(")))
    out.append(("create: customer by email", *_pick(book, '"catalog_customer"', "UPPER")))
    out.append(
        ("create: overlap check", *_pick(book, '"bookings_booking"', "LIMIT 1", "blocked_end"))
    )
    out.append(("create: reference is free", *_pick(book, '"bookings_booking"', '"reference"')))
    out.append(("cancel: lock the booking", *_pick(book, "FOR UPDATE", '"bookings_booking"')))
    out.append(("cancel: reminders cancelled", *_pick(book, 'UPDATE "notifications_message"')))
    token_id = _rows(
        "SELECT t.booking_id FROM bookings_bookingtoken t JOIN bookings_booking b "
        "ON b.id = t.booking_id WHERE t.purpose = 'manage' AND b.start > %s "
        "AND b.business_id = %s ORDER BY b.start LIMIT 1",
        [work.now, work.target.business_id],
    )[0][0]
    lookup = captured(
        lambda: token_verify(raw=f"scale-manage-{token_id}", purpose="manage", now=work.now)
    )
    out.append(("manage link: token lookup", *_pick(lookup, '"bookings_bookingtoken"')))

    def claim() -> None:
        with transaction.atomic():
            worker.claim(worker_id="plans", now=work.now)
            transaction.set_rollback(True)

    out.append(("worker: claim due messages", *_pick(captured(claim), "FOR UPDATE")))
    business = Business.objects.get(pk=work.target.business_id)

    def listing() -> None:
        page = Paginator(selectors.booking_list(business=business), 25).get_page(1)
        list(page.object_list)

    listed = captured(listing)
    out.append(("backoffice list: count", *_pick(listed, "COUNT(")))
    out.append(("backoffice list: first page", *_pick(listed, "ORDER BY", "LIMIT")))
    by_provider = captured(
        lambda: list(
            Paginator(
                selectors.booking_list(
                    business=business, provider_id=work.target.provider_id, status="confirmed"
                ),
                25,
            )
            .get_page(1)
            .object_list
        )
    )
    out.append(
        ("backoffice list: one provider, confirmed", *_pick(by_provider, "ORDER BY", "LIMIT"))
    )
    today = work.now.astimezone(business.tz).date()
    lo, hi = selectors.local_day_bounds(business=business, day=today)
    _, week = selectors.local_day_bounds(business=business, day=today + timedelta(days=7))
    dash = captured(
        lambda: (
            list(selectors.booking_list(business=business, start_from=lo, start_to=hi)),
            list(
                selectors.booking_list(
                    business=business, status="confirmed", start_from=hi, start_to=week
                )[:15]
            ),
            list(selectors.customer_changes(business=business, since=work.now - timedelta(14))),
            list(outbox_selectors.failed_messages(business=business)),
        )
    )
    out.append(("dashboard: today", *_pick(dash, '"bookings_booking"."start" >=')))
    out.append(("dashboard: upcoming", *_pick(dash, "LIMIT 15")))
    out.append(("dashboard: customers' changes", *_pick(dash, '"bookings_bookingevent"')))
    out.append(("dashboard: failed emails", *_pick(dash, '"notifications_message"')))
    limited = captured(lambda: ratelimit.hit("bench", "203.0.113.9", limit=100, window_seconds=60))
    for sql, params in limited:
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            out.append(("rate limit: cache table", sql, params))
    # A query the code no longer sends (it changed since) is left out rather than failing.
    return [(label, sql, params) for label, sql, params in out if sql]


def plans_table(before: list[Plan] | None, after: list[Plan]) -> str:
    """Markdown: one row per query, with and (when given) without the added indexes."""
    lines = []
    if before is not None:
        lines += [
            "| query | without the added indexes | ms | buffers | with them | ms | buffers |",
            "|---|---|---|---|---|---|---|",
        ]
        for b, a in zip(before, after, strict=False):
            lines.append(
                f"| {a.label} | {b.summary} | {b.ms:.2f} | {b.buffers} | "
                f"{a.summary if a.summary != b.summary else '(same plan)'} | {a.ms:.2f} | "
                f"{a.buffers} |"
            )
    else:
        lines += ["| query | plan | ms | buffers |", "|---|---|---|---|"]
        lines += [f"| {a.label} | {a.summary} | {a.ms:.2f} | {a.buffers} |" for a in after]
    return "\n".join(lines)


# --- HTTP (bench/http.py) -------------------------------------------------------------------


def http_module() -> Any | None:
    """``bench.http`` when it is there (it provides ``prepare`` and ``measure``), else None."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("bench.http") is None:
        return None
    module = importlib.import_module("bench.http")
    return module if hasattr(module, "prepare") and hasattr(module, "measure") else None


def fixture_business_and_windows(
    fixture: Any,
) -> tuple[int | None, list[int], list[tuple[int, datetime, datetime]]]:
    """The HTTP fixture's business, its providers, and the span the bulk fill leaves alone.

    The fixture already holds bookings on its availability month and books, moves and races
    for slots on the days after it; the fill gives its providers history outside that span.
    """
    from zoneinfo import ZoneInfo

    (business_id,) = _rows("SELECT id FROM core_business WHERE slug = %s", [fixture.business_slug])[
        0
    ]
    tz = ZoneInfo(fixture.timezone)
    days = [*fixture.availability_days, *fixture.reserved_days()]
    lo = datetime.combine(min(days), datetime.min.time(), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(max(days) + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return (
        business_id,
        list(fixture.provider_ids),
        [(pid, lo, hi.astimezone(UTC)) for pid in fixture.provider_ids],
    )


def forget_http_bookings(fixture: Any) -> int:
    """Delete what the HTTP "bookings" figure wrote (bookings on its days, their rows, the
    customers it created), so the second measurement books the same free slots again."""
    from zoneinfo import ZoneInfo

    from slotwise.bookings.models import Booking
    from slotwise.catalog.models import Customer

    tz = ZoneInfo(fixture.timezone)
    lo = datetime.combine(min(fixture.reserved_days()), datetime.min.time(), tzinfo=tz)
    made = Booking.objects.filter(
        business__slug=fixture.business_slug, source=Booking.Source.WEB, start__gte=lo
    )
    customers = list(made.values_list("customer_id", flat=True).distinct())
    deleted, _ = made.delete()
    Customer.objects.filter(pk__in=customers, bookings__isnull=True).delete()
    return deleted


def http_figures(db: BenchDatabase, fixture: Any, module: Any) -> list[Result]:
    """Availability and booking figures over HTTP, as bench/http measures them."""
    return list(module.measure(db, fixture, figures={"availability", "bookings"}))


# --- the benchmark --------------------------------------------------------------------------


def timings(work: Workload, *, quick: bool) -> dict[str, dict[str, float]]:
    """In-process medians: slots for one provider and for 50, and a web booking + cancel."""
    runs = 10 if quick else 40
    return {
        "slots_for: 1 provider, 31 days": summarize(timed_ms(work.slots_one(), runs)),
        "slots_for: any of 50 providers, 31 days": summarize(timed_ms(work.slots_any(), runs)),
        "web booking + customer cancel": summarize(timed_ms(work.book_and_cancel(), runs)),
    }


def _drop_new_indexes() -> list[str]:
    definitions = [
        d
        for (d,) in _rows(
            "SELECT indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(NEW_INDEXES)]
        )
    ]
    for name in NEW_INDEXES:
        _exec(f'DROP INDEX IF EXISTS "{name}"')
    _exec("ANALYZE bookings_booking")
    return definitions


def run(db: BenchDatabase) -> Report:
    from slotwise.core.clock import utcnow

    shape = QUICK if db.quick else FULL
    now = utcnow().replace(second=0, microsecond=0)
    report = Report(
        title=f"Scale: {shape.bookings_per_provider * shape.providers:,} bookings, "
        f"{shape.providers:,} providers (PostgreSQL)"
    )
    notes: list[str] = []
    http = http_module()
    fixture = http.prepare(db, quick=db.quick) if http else None
    http_business, http_providers, keep_free = (
        fixture_business_and_windows(fixture) if fixture is not None else (None, [], [])
    )

    started = time.perf_counter()
    _exec("SET synchronous_commit = off")
    fill_catalog(shape, now=now)
    if http_business is not None:
        adopt_business(
            business_id=http_business,
            provider_ids=http_providers,
            customers=shape.customers_per_business,
            now=now,
        )
    _time_off(shape, now=now)
    clear_time_off(keep_free)
    target = pick_target(shape, now=now)
    keep_free = [*keep_free, *target.reserve]
    # Step 1: the small database — only the days availability looks at.
    deferred = defer_indexes()
    near = fill_bookings(
        shape, now=now, day_from=-1, day_to=shape.future_days + 1, keep_free=keep_free
    )
    restore_indexes(deferred)
    vacuum_analyze()
    small_load = time.perf_counter() - started
    work = Workload(target, now)
    small = timings(work, quick=db.quick)
    small_http: list[Result] = []
    if http and fixture is not None:
        small_http = http_figures(db, fixture, http)
        forget_http_bookings(fixture)
        _exec("VACUUM ANALYZE bookings_booking")

    # Step 2: two years of history make it big.
    started = time.perf_counter()
    deferred = defer_indexes()
    history = fill_bookings(
        shape, now=now, day_from=-shape.past_days, day_to=-1, keep_free=keep_free
    )
    restore_indexes(deferred)
    vacuum_analyze()
    big_load = time.perf_counter() - started
    total = near + history
    report.add(
        Result(
            "bulk load: catalog and bookings with their rows, indexes and VACUUM ANALYZE",
            small_load + big_load,
            "s",
            target="a few minutes",
            detail=f"{total:,} bookings: {near:,} from yesterday on in {small_load:.0f} s, "
            f"{history:,} of history in {big_load:.0f} s",
        )
    )
    big = timings(work, quick=db.quick)
    for name, fig in big.items():
        ratio = fig["median"] / small[name]["median"]
        report.add(
            Result(
                f"{name} (in process), big ÷ small",
                ratio,
                "×",
                target=f"≤ {TARGET}",
                met=ratio <= TARGET,
                detail=f"median {fig['median']:.2f} ms (p95 {fig['p95']:.2f}) vs "
                f"{small[name]['median']:.2f} ms (p95 {small[name]['p95']:.2f})",
            )
        )
    if http and fixture is not None:
        big_http = http_figures(db, fixture, http)
        report.results.extend(compare_http(small_http, big_http))
    else:
        notes.append("HTTP figures: bench/http.py was not available; only in-process figures.")

    plans_with = [explain(label, sql, params) for label, sql, params in hot_queries(work)]
    dropped = _drop_new_indexes()
    plans_without = [explain(label, sql, params) for label, sql, params in hot_queries(work)]
    without = timings(work, quick=db.quick)
    for definition in dropped:
        _exec(definition)
    _exec("ANALYZE bookings_booking")

    sizes = table_sizes()
    md = [
        f"Data: {total:,} bookings of {shape.providers:,} providers in "
        f"{shape.businesses} businesses, {shape.past_days} days back and "
        f"{shape.future_days} ahead; measured on `scale-001` ({shape.big_business_providers} "
        'providers). "Small" is the same database with only the bookings from yesterday on '
        '(what availability reads); "big" adds the history.',
        "",
        "| table | rows | size |",
        "|---|---|---|",
        *[f"| {t} | {n:,} | {s} |" for t, n, s in sizes],
        "",
        "In-process medians (ms): small / big / big without the added indexes",
        "",
        "| measurement | small | big | big, without |",
        "|---|---|---|---|",
        *[
            f"| {k} | {small[k]['median']:.2f} | {big[k]['median']:.2f} | "
            f"{without[k]['median']:.2f} |"
            for k in big
        ],
        "",
        INDEX_NOTES.strip(),
        "",
        "Query plans on the big database (EXPLAIN ANALYZE, BUFFERS):",
        "",
        plans_table(plans_without if NEW_INDEXES else None, plans_with),
        *(["", *notes] if notes else []),
    ]
    report.markdown = "\n".join(md)
    return report


INDEX_NOTES = """
Indexes added for these figures (migrations bookings 0003–0004, catalog 0002):

- `booking_provider_busy_idx` (provider, blocked_end, blocked_start) where the status holds
  time: the availability loader and the overlap check ask for a provider's bookings with
  blocked_start < window end and blocked_end > window start. Through (provider,
  blocked_start) that condition reads every booking before the window — all the history;
  entered by blocked_end it reads only the bookings from the window on, which the booking
  horizon bounds however many years are behind.
- `booking_provider_confirmed_idx` (provider, start) where confirmed: "any provider" counts
  each free candidate's confirmed bookings that day; confirmed bookings are the upcoming
  ones, so the index stays small.
- `customer_business_email_ci_idx` (business, UPPER(email)): a web booking finds the
  returning customer with email__iexact.
- `event_customer_changes_idx` (business, created_at DESC) for customers' cancels and
  reschedules: the dashboard reads the newest few in order.
"""


def compare_http(small: list[Result], big: list[Result]) -> list[Result]:
    """The HTTP figures on the big database, each with its ratio to the small one."""
    by_name = {r.name: r for r in small}
    out = []
    for r in big:
        before = by_name.get(r.name)
        if before is None or not before.value:
            out.append(r)
            continue
        # Throughput is better when higher, latency when lower.
        higher_is_better = "/s" in r.unit
        ratio = before.value / r.value if higher_is_better else r.value / before.value
        out.append(
            Result(
                f"{r.name} (HTTP), big vs small",
                ratio,
                "×",
                target=f"≤ {TARGET}",
                met=ratio <= TARGET,
                detail=f"{r.value:.2f} {r.unit} vs {before.value:.2f} {r.unit}; {r.detail}",
            )
        )
    return out


if __name__ == "__main__":
    main("scale", run, vendors=("postgresql",))
