from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "slotwise.notifications"
    label = "notifications"
