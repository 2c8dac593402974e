"""URLs of the servers and attachments section (mounted at /servers/)."""

from django.urls import path

from attachments import views

app_name = "attachments"

urlpatterns = [
    path("", views.server_list, name="list"),
    path("attach/", views.volume_attach, name="attach_volume"),
    path("<str:server_id>/", views.server_detail, name="detail"),
    path("<str:server_id>/attach/", views.server_attach, name="attach"),
    path("<str:server_id>/detach/<str:volume_id>/", views.detach, name="detach"),
]
