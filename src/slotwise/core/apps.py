from datetime import timedelta

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "slotwise.core"
    label = "core"

    def ready(self) -> None:
        from slotwise.core import periodic, ratelimit

        # Rate-limit counts whose window has ended (core/ratelimit.py).
        periodic.register_periodic(
            "rate-counters-expired", ratelimit.delete_expired, every=timedelta(minutes=10)
        )
