"""URLs of the support section (staff only; everyone else gets 404)."""

from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.search, name="search"),
    path("calls/<int:pk>/", views.call_detail, name="call"),
    path("calls/<int:pk>/export.json", views.call_export, name="call_export"),
    path("export.json", views.export, name="export"),
]
