"""URL map: backoffice for staff, public pages for customers, the JSON API."""

from django.urls import path

from slotwise.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
]
