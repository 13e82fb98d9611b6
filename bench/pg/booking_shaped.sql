-- pgbench: a transaction with the write set of one web booking, without the application:
-- lock the provider row, insert the booking (exclusion constraint), then five more rows
-- (history, manage token, confirmation, staff alert, reminder), one commit.
\set provider random(1, 50)
BEGIN;
SELECT id FROM bench_pg_provider WHERE id = :provider FOR UPDATE;
WITH b AS (
    INSERT INTO bench_pg_no_overlap (provider_id, blocked_start, blocked_end, status)
    SELECT :provider, t, t + interval '30 minutes', 'confirmed'
    FROM (SELECT timestamptz '2040-01-01 00:00+00' + nextval('bench_pg_slot') * interval '30 minutes' AS t) AS s
    RETURNING id
)
INSERT INTO bench_pg_side (booking_id, kind, payload)
SELECT b.id, k, '{"start": "2040-01-01T10:00:00+00:00", "provider_name": "Provider"}'::jsonb
FROM b, unnest(ARRAY['event', 'token', 'confirmation', 'staff_created', 'reminder']) AS k;
COMMIT;
