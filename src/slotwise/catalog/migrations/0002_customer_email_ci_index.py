"""Find a returning customer by email, case-insensitively, without reading the whole business's
customers (web bookings look them up with email__iexact, i.e. UPPER(email))."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0001_initial'),
        ('core', '0002_cache_table'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='customer',
            index=models.Index(models.F('business'), django.db.models.functions.text.Upper('email'), name='customer_business_email_ci_idx'),
        ),
    ]
