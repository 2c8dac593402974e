"""URLs of the support section."""

app_name = "support"

urlpatterns: list = []
