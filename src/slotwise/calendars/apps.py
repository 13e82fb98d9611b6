from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "slotwise.calendars"
    label = "calendars"
    verbose_name = "Calendars"

    def ready(self) -> None:
        # Imported here: models load only once the app registry is ready.
        from slotwise.calendars import hooks, writes

        hooks.install()
        # Bookings written into the write calendar; conflicts looked for (calendars/writes.py).
        writes.install()
