"""Public pages. They parse input, call bookings/ and scheduling/, and show the outcome."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """The installation's front page."""
    return render(request, "site/home.html")
