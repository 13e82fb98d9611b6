"""URLs of the customer pages: booking pages, manage-by-link and rating."""

from django.urls import path

from slotwise.site.views import book, manage, rate

app_name = "site"
urlpatterns = [
    path("book/<slug:business_slug>/<slug:page_slug>/", book.book, name="book"),
    path("manage/<str:token>/", manage.manage, name="manage"),
    path("manage/<str:token>/cancel/", manage.manage_cancel, name="manage_cancel"),
    path("manage/<str:token>/reschedule/", manage.manage_reschedule, name="manage_reschedule"),
    path("manage/<str:token>/calendar.ics", manage.manage_calendar, name="manage_calendar"),
    path("rate/<str:token>/", rate.rate, name="rate"),
]
