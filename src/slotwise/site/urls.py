"""URLs of the customer pages: booking pages, manage-by-link and rating."""

from django.urls import path

from slotwise.site.views import book, brand, feeds, manage, rate, reviews, waitlist

app_name = "site"
urlpatterns = [
    path("book/<slug:business_slug>/<slug:page_slug>/", book.book, name="book"),
    path("manage/<str:token>/", manage.manage, name="manage"),
    path("manage/<str:token>/cancel/", manage.manage_cancel, name="manage_cancel"),
    path("manage/<str:token>/reschedule/", manage.manage_reschedule, name="manage_reschedule"),
    path("manage/<str:token>/calendar.ics", manage.manage_calendar, name="manage_calendar"),
    path("rate/<str:token>/", rate.rate, name="rate"),
    path(
        "book/<slug:business_slug>/<slug:page_slug>/waitlist/",
        waitlist.waitlist_join,
        name="waitlist_join",
    ),
    path("waitlist/<str:token>/", waitlist.waitlist_entry, name="waitlist_entry"),
    path("offers/<str:token>/", waitlist.offer, name="offer"),
    path("manage/<str:token>/earlier/", waitlist.manage_earlier, name="manage_earlier"),
    path("reviews/<slug:business_slug>/", reviews.reviews_page, name="reviews"),
    path("feeds/<str:token>.ics", feeds.feed, name="feed"),
    path("brand/<slug:business_slug>.css", brand.brand_css, name="brand_css"),
]
