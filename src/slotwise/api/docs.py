"""Interactive API docs that work offline and under our Content-Security-Policy.

django-ninja 1.7.1 ships Swagger UI's files but serves them through ``{% static %}`` only when
``ninja`` is an installed app (otherwise it links a CDN, which our CSP and offline installs
cannot load). We render our own page and serve the bundled files from the package under
``/api/v1/docs/assets/``: every script and style is same-origin, nothing is inline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from ninja import NinjaAPI, Router
from ninja.openapi.docs import DocsBase

_ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
_ASSETS = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.svg", "favicon.png"}
)

router = Router(auth=None)


class OfflineSwagger(DocsBase):
    """Swagger UI from the files bundled with django-ninja, linked same-origin."""

    settings = {"layout": "BaseLayout", "deepLinking": True, "persistAuthorization": False}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        openapi_url = self.get_openapi_url(api, kwargs)
        assets = reverse(f"{api.urls_namespace}:docs_asset", kwargs={"name": "x"})[:-1]
        return render(
            request,
            "api/docs.html",
            {
                "api": api,
                "assets": assets,
                "swagger_settings": json.dumps({**self.settings, "url": openapi_url}),
            },
        )


@router.get("/docs/assets/{name}", include_in_schema=False, url_name="docs_asset")
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in _ASSETS:
        raise Http404
    response = FileResponse((_ASSET_DIR / name).open("rb"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
