"""A service lasts 5 minutes to a day and its buffers at most a day, as the forms and API say.

Rows outside those bounds (only possible through the admin or a script) are first moved inside.
"""

import django.core.validators
from django.db import migrations, models


def move_inside_bounds(apps, schema_editor):
    Service = apps.get_model("catalog", "Service")
    Service.objects.filter(duration_minutes__lt=5).update(duration_minutes=5)
    Service.objects.filter(duration_minutes__gt=1440).update(duration_minutes=1440)
    Service.objects.filter(buffer_before_minutes__gt=1440).update(buffer_before_minutes=1440)
    Service.objects.filter(buffer_after_minutes__gt=1440).update(buffer_after_minutes=1440)
    if schema_editor.connection.vendor == "postgresql":
        # The updates queue the deferred foreign-key checks; PostgreSQL refuses to ALTER a
        # table with pending trigger events in the same transaction, so run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_customer_email_ci_index"),
        ("core", "0004_business_step_minimum"),
    ]

    operations = [
        migrations.RunPython(move_inside_bounds, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="service",
            name="buffer_after_minutes",
            field=models.PositiveIntegerField(
                default=0, validators=[django.core.validators.MaxValueValidator(1440)]
            ),
        ),
        migrations.AlterField(
            model_name="service",
            name="buffer_before_minutes",
            field=models.PositiveIntegerField(
                default=0, validators=[django.core.validators.MaxValueValidator(1440)]
            ),
        ),
        migrations.AddConstraint(
            model_name="service",
            constraint=models.CheckConstraint(
                condition=models.Q(("duration_minutes__gte", 5), ("duration_minutes__lte", 1440)),
                name="service_duration_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="service",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("buffer_after_minutes__gte", 0),
                    ("buffer_after_minutes__lte", 1440),
                    ("buffer_before_minutes__gte", 0),
                    ("buffer_before_minutes__lte", 1440),
                ),
                name="service_buffers_range",
            ),
        ),
    ]
