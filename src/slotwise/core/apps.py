from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "slotwise.core"
    label = "core"
