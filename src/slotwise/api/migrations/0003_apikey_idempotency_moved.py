# ApiKey now lives in core and IdempotencyRecord in bookings (their migrations take them
# over); the tables and their rows are kept, only the API app stops owning the models.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_webhookendpoint_moved'),
        ('bookings', '0008_idempotencyrecord_moved'),
        ('core', '0005_apikey_moved'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='apikey',
                    name='business',
                ),
                migrations.RemoveConstraint(
                    model_name='idempotencyrecord',
                    name='idempotency_unique_key',
                ),
                migrations.DeleteModel(
                    name='ApiKey',
                ),
                migrations.DeleteModel(
                    name='IdempotencyRecord',
                ),
            ],
        ),
    ]
