from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "slotwise.catalog"
    label = "catalog"
