"""Small helpers shared by the backoffice views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render


def _posted(request: HttpRequest) -> QueryDict | None:
    """The POST data on a POST (even an empty one, e.g. all boxes unticked), else None."""
    return request.POST if request.method == "POST" else None


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    question: str,
    consequence: str,
    button: str,
    back: str,
    action: str = "",
) -> HttpResponse:
    """The step before an irreversible change: a GET shows what will happen and a button
    that POSTs to ``action`` (this URL by default); "Keep it" goes ``back``.

    Lists link to this page rather than POSTing straight away, so the step works without
    JavaScript and a prefetching browser or a stray click changes nothing.
    """
    return render(
        request,
        "backoffice/confirm.html",
        {
            "title": title,
            "question": question,
            "consequence": consequence,
            "button": button,
            "back": back,
            "action": action or request.path,
        },
    )
