from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "slotwise.api"
    label = "api"
