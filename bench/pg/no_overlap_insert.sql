-- pgbench: one committed insert per transaction into a table guarded like bookings_booking
-- (a GiST exclusion constraint on provider and blocked range). A shared sequence gives every
-- row its own half hour, so no insert conflicts: this is the database's own write ceiling.
\set provider random(1, 50)
INSERT INTO bench_pg_no_overlap (provider_id, blocked_start, blocked_end, status)
SELECT :provider, t, t + interval '30 minutes', 'confirmed'
FROM (SELECT timestamptz '2040-01-01 00:00+00' + nextval('bench_pg_slot') * interval '30 minutes' AS t) AS s;
