"""Indexes for availability and booking at scale (see bench/scale.py for the plans).

With years of history a provider has thousands of bookings, and the availability loader's and
overlap check's condition (blocked_start < window end AND blocked_end > window start) read all
of them through the (provider, blocked_start) index. Entering by blocked_end reads only the
bookings from the window on. The "any provider" load count gets a small index of confirmed
(upcoming) bookings.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0002_no_overlap_constraint'),
        ('catalog', '0001_initial'),
        ('core', '0002_cache_table'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(condition=models.Q(('status__in', ['confirmed', 'completed', 'no_show'])), fields=['provider', 'blocked_end', 'blocked_start'], name='booking_provider_busy_idx'),
        ),
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(condition=models.Q(('status', 'confirmed')), fields=['provider', 'start'], name='booking_provider_confirmed_idx'),
        ),
    ]
