"""Operational endpoints, and the uploaded images when the application serves them."""

from django.conf import settings
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from django.views.static import serve


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and `make run`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    """An uploaded image from MEDIA_ROOT (``SLOTWISE_SERVE_MEDIA``; docs/deployment.md).

    ``serve`` refuses paths outside MEDIA_ROOT. Stored names are random and a replaced image
    gets a new one, so a file never changes: browsers may keep it for a year. The sandbox
    policy means that even a file that is not the image it claimed to be runs nothing.
    """
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
