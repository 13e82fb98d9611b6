"""URL map: public pages for customers, and operational endpoints."""

from django.urls import path

from slotwise.core import views as core_views
from slotwise.site import views as site_views

urlpatterns = [
    path("", site_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
]
