"""URL map: public pages for customers, the staff backoffice, the JSON API."""

from django.conf import settings
from django.urls import include, path, re_path

from slotwise.api.api import api, unknown_address
from slotwise.core import views as core_views
from slotwise.site import views as site_views

urlpatterns = [
    path("", site_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("backoffice/", include("slotwise.backoffice.urls")),
    path("api/v1/", api.urls),
    # Anything else under /api/ answers the API's JSON 404, never an HTML page.
    re_path(r"^api/(?P<rest>.*)$", unknown_address, name="api-unknown"),
    path("", include("slotwise.site.urls")),
]

if settings.SLOTWISE_SERVE_MEDIA and not settings.MEDIA_URL.startswith(("http:", "https:")):
    _media = settings.MEDIA_URL.strip("/")
    urlpatterns.insert(0, re_path(rf"^{_media}/(?P<path>.+)$", core_views.media, name="media"))
