"""URLs of the volumes section."""

from django.urls import path

from volumes import views

app_name = "volumes"

urlpatterns = [
    path("", views.volume_list, name="list"),
    path("create/", views.volume_create, name="create"),
    path("create/<str:key>/", views.volume_create_status, name="create_status"),
    path("delete/", views.volume_bulk_delete, name="bulk_delete"),
    path("<str:volume_id>/", views.volume_detail, name="detail"),
    path("<str:volume_id>/edit/", views.volume_edit, name="edit"),
    path("<str:volume_id>/extend/", views.volume_extend, name="extend"),
    path("<str:volume_id>/delete/", views.volume_delete, name="delete"),
]
