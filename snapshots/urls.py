"""URLs of the snapshots section."""

from django.urls import path

from snapshots import views

app_name = "snapshots"

urlpatterns = [
    path("", views.snapshot_list, name="list"),
    path("create/", views.snapshot_create, name="create"),
    path("<str:snapshot_id>/", views.snapshot_detail, name="detail"),
    path("<str:snapshot_id>/delete/", views.snapshot_delete, name="delete"),
]
