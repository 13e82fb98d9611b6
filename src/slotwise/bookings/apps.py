from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "slotwise.bookings"
    label = "bookings"
