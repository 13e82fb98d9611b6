"""The dashboard lists the newest changes customers made themselves; this partial index reads
those few rows in order instead of joining and sorting every such change of the period."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0003_booking_busy_indexes'),
        ('core', '0002_cache_table'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='bookingevent',
            index=models.Index(condition=models.Q(('actor_kind', 'customer'), ('kind__in', ['cancelled', 'rescheduled'])), fields=['business', '-created_at'], name='event_customer_changes_idx'),
        ),
    ]
