"""Root URL configuration of the console."""

from django.contrib import admin
from django.urls import path

from console import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("region/", views.switch_region, name="switch_region"),
    path("admin/", admin.site.urls),
]
