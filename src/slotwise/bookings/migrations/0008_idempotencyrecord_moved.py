# The idempotency record model moves here from the API app. Only Django's view of the models
# changes: the table (api_idempotencyrecord), its constraint and its rows stay as they are.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_webhookendpoint_moved'),
        ('bookings', '0007_page_step_minimum'),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='IdempotencyRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=200)),
                        ('request_hash', models.CharField(max_length=64)),
                        ('created_at', models.DateTimeField()),
                        ('booking', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='bookings.booking')),
                        ('business', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.business')),
                    ],
                    options={
                        'db_table': 'api_idempotencyrecord',
                        'constraints': [models.UniqueConstraint(fields=('business', 'key'), name='idempotency_unique_key')],
                    },
                ),
            ],
        ),
    ]
