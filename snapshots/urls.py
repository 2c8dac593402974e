"""URLs of the snapshots section."""

app_name = "snapshots"

urlpatterns: list = []
