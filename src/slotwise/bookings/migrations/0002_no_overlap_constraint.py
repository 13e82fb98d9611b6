"""PostgreSQL: make overlapping active bookings of one provider impossible in the database.

SQLite has no exclusion constraints; there the booking actions run in IMMEDIATE transactions
(one writer at a time) and check for overlaps before writing.
"""

from django.db import migrations

CONSTRAINT = "booking_no_overlap"
ACTIVE = "('confirmed', 'completed', 'no_show')"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE bookings_booking ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist ("
        " provider_id WITH =,"
        " tstzrange(blocked_start, blocked_end, '[)') WITH &&"
        f") WHERE (status IN {ACTIVE})"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
