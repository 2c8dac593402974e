"""URLs of the attachments section."""

app_name = "attachments"

urlpatterns: list = []
