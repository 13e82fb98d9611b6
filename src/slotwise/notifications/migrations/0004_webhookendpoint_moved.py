# The webhook endpoint model moves here from the API app. Only Django's view of the models
# changes: the table (api_webhookendpoint) and its rows stay exactly as they are.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
        ('core', '0001_initial'),
        ('notifications', '0003_webhook_lane'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.URLField(max_length=500)),
                        ('events', models.JSONField(default=list)),
                        ('secret', models.CharField(max_length=100)),
                        ('active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField()),
                        ('business', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_endpoints', to='core.business')),
                    ],
                    options={
                        'db_table': 'api_webhookendpoint',
                        'ordering': ['created_at', 'id'],
                    },
                ),
            ],
        ),
    ]
