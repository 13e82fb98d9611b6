"""URLs of the site pages."""


app_name = "site"
urlpatterns: list = []
