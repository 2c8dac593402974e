"""Root URL configuration of the console."""

from django.contrib import admin
from django.urls import include, path

from console import health, live, overview, views

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("healthz", health.healthz, name="healthz"),
    path("login/", views.login_view, name="login"),
    path(
        "login/application-credential/",
        views.login_application_credential,
        name="login_application_credential",
    ),
    path("project/", views.switch_project, name="switch_project"),
    path("logout/", views.logout_view, name="logout"),
    path("region/", views.switch_region, name="switch_region"),
    path("live/<str:kind>/", live.statuses, name="live_statuses"),
    path("volumes/", include("volumes.urls")),
    path("snapshots/", include("snapshots.urls")),
    path("backups/", include("backups.urls")),
    path("servers/", include("attachments.urls")),
    path("support/", include("support.urls")),
    path("admin/", admin.site.urls),
]

# A body too large to read (or with too many fields) gets a page that says so.
handler400 = views.bad_request
