"""URLs of the backups section."""

app_name = "backups"

urlpatterns: list = []
