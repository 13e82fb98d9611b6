from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "slotwise.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Imported here, not at the top: models load only once the app registry is ready.
        from slotwise.bookings.events import (
            BookingChanged,
            WaitlistAccepted,
            WaitlistJoined,
            WaitlistOffered,
        )
        from slotwise.core import events
        from slotwise.notifications import outbox, waitlist

        # Delivery listens to the domain: every booking change queues its messages and every
        # new business gets its notification settings, in the same transaction.
        events.subscribe(BookingChanged, outbox.on_booking_changed)
        events.subscribe(events.BusinessCreated, outbox.on_business_created)
        events.subscribe(WaitlistJoined, waitlist.on_waitlist_joined)
        events.subscribe(WaitlistOffered, waitlist.on_waitlist_offered)
        events.subscribe(WaitlistAccepted, waitlist.on_waitlist_accepted)
