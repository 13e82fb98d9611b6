from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "slotwise.site"
    label = "site"
