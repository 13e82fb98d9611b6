# The webhook endpoint model now lives in notifications (its migration 0004 takes it over);
# the table and its rows are kept, only the API app stops owning the model.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
        ('notifications', '0004_webhookendpoint_moved'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='WebhookEndpoint'),
            ],
        ),
    ]
