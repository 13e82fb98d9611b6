"""A booking page's slot step is at least 5 minutes and its horizon at least 1 day.

The forms and the API already refused less; rows written another way are first raised to it.
"""

from django.db import migrations, models


def raise_to_minimum(apps, schema_editor):
    BookingPage = apps.get_model("bookings", "BookingPage")
    BookingPage.objects.filter(slot_step_minutes__lt=5).update(slot_step_minutes=5)
    BookingPage.objects.filter(max_days_ahead__lt=1).update(max_days_ahead=1)
    if schema_editor.connection.vendor == "postgresql":
        # The updates queue the deferred foreign-key checks; PostgreSQL refuses to ALTER a
        # table with pending trigger events in the same transaction, so run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [("bookings", "0006_booking_any_provider")]

    operations = [
        migrations.RunPython(raise_to_minimum, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="bookingpage",
            constraint=models.CheckConstraint(
                condition=models.Q(("slot_step_minutes__gte", 5)),
                name="booking_page_step_minimum",
            ),
        ),
        migrations.AddConstraint(
            model_name="bookingpage",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_days_ahead__gte", 1)),
                name="booking_page_days_ahead_minimum",
            ),
        ),
    ]
