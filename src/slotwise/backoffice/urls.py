"""URLs of the backoffice pages."""

from django.urls import path

app_name = "backoffice"
urlpatterns: list = []
