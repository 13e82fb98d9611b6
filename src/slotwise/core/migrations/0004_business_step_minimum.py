"""A business's slot step is at least 5 minutes and its horizon at least 1 day.

Rows below the minimum (a step of 0 crashed every reschedule page) are first raised to it.
"""

from django.db import migrations, models


def raise_to_minimum(apps, schema_editor):
    Business = apps.get_model("core", "Business")
    Business.objects.filter(slot_step_minutes__lt=5).update(slot_step_minutes=5)
    Business.objects.filter(max_days_ahead__lt=1).update(max_days_ahead=1)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_invitations")]

    operations = [
        migrations.RunPython(raise_to_minimum, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="business",
            constraint=models.CheckConstraint(
                condition=models.Q(("slot_step_minutes__gte", 5)), name="business_step_minimum"
            ),
        ),
        migrations.AddConstraint(
            model_name="business",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_days_ahead__gte", 1)), name="business_days_ahead_minimum"
            ),
        ),
    ]
