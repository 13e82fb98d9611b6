-- Scratch table for pgbench, with the same exclusion constraint as bookings_booking (see
-- src/slotwise/bookings/migrations/0002_no_overlap_constraint.py). Recreated for every run.
CREATE EXTENSION IF NOT EXISTS btree_gist;
DROP TABLE IF EXISTS bench_pg_no_overlap;
DROP SEQUENCE IF EXISTS bench_pg_slot;
CREATE SEQUENCE bench_pg_slot;
CREATE TABLE bench_pg_no_overlap (
    id bigserial PRIMARY KEY,
    provider_id integer NOT NULL,
    blocked_start timestamptz NOT NULL,
    blocked_end timestamptz NOT NULL,
    status varchar(10) NOT NULL,
    CONSTRAINT bench_pg_no_overlap_excl EXCLUDE USING gist (
        provider_id WITH =,
        tstzrange(blocked_start, blocked_end, '[)') WITH &&
    ) WHERE (status IN ('confirmed', 'completed', 'no_show'))
);

-- For the booking-shaped script: provider rows to lock, and a side table standing in for the
-- history, token and outbox rows a web booking commits with it.
DROP TABLE IF EXISTS bench_pg_provider;
DROP TABLE IF EXISTS bench_pg_side;
CREATE TABLE bench_pg_provider (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO bench_pg_provider SELECT g, 'provider ' || g FROM generate_series(1, 50) AS g;
CREATE TABLE bench_pg_side (
    id bigserial PRIMARY KEY,
    booking_id bigint NOT NULL,
    kind varchar(20) NOT NULL,
    payload jsonb NOT NULL
);
