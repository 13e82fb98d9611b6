from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "slotwise.backoffice"
    label = "backoffice"
