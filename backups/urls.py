"""URLs of the backups section."""

from django.urls import path

from backups import views

app_name = "backups"

urlpatterns = [
    path("", views.backup_list, name="list"),
    path("create/", views.backup_create, name="create"),
    path("<str:backup_id>/", views.backup_detail, name="detail"),
    path("<str:backup_id>/restore/", views.backup_restore, name="restore"),
    path("<str:backup_id>/delete/", views.backup_delete, name="delete"),
]
