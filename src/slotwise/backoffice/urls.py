"""URLs of the backoffice pages."""


app_name = "backoffice"
urlpatterns: list = []
