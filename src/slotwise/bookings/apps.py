from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "slotwise.bookings"
    label = "bookings"

    def ready(self) -> None:
        # Imported here: models load only once the app registry is ready.
        from slotwise.bookings import availability_cache
        from slotwise.bookings.actions import waitlist
        from slotwise.bookings.events import BookingChanged
        from slotwise.core import events

        # Time a change frees (a cancel, a reschedule away, deleted time off, longer hours)
        # is written down for the waitlist in the same transaction (docs/waitlist.md).
        events.subscribe(BookingChanged, waitlist.on_booking_changed)
        events.subscribe(events.TimeFreed, waitlist.on_time_freed)
        # Every change to a provider's free time gives them a new availability version in the
        # same transaction, so no cached answer outlives it (bookings/availability_cache.py).
        events.subscribe(BookingChanged, availability_cache.on_booking_changed)
        events.subscribe(events.ScheduleChanged, availability_cache.on_schedule_changed)
