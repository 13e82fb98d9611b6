"""Small helpers shared by the backoffice views."""

from __future__ import annotations

from django.http import HttpRequest, QueryDict


def _posted(request: HttpRequest) -> QueryDict | None:
    """The POST data on a POST (even an empty one, e.g. all boxes unticked), else None."""
    return request.POST if request.method == "POST" else None
