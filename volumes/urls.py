"""URLs of the volumes section."""

app_name = "volumes"

urlpatterns: list = []
