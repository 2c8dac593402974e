"""What every page of the frame needs: who is logged in, where, and the sections that exist."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import Resolver404, resolve

from console import session

# The sections of the console. A section is listed only once its URL is served (the resource apps
# arrive one by one), so the navigation never links to a page that does not exist.
SECTIONS = [
    ("Overview", "/", None),
    ("Volumes", "/volumes/", None),
    ("Snapshots", "/snapshots/", None),
    ("Backups", "/backups/", None),
    ("Servers", "/servers/", None),
    ("Support", "/support/", "support.view_apicall"),
]


def _served(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def frame(request: HttpRequest) -> dict:
    login = session.cloud_login(request)
    if login is None:
        return {"cloud": None, "nav": []}
    nav = []
    for label, path, permission in SECTIONS:
        if permission and not request.user.has_perm(permission):
            continue
        if not _served(path):
            continue
        current = request.path == path if path == "/" else request.path.startswith(path)
        nav.append({"label": label, "url": path, "current": current})
    # Everything the header shows, and nothing else: the token stays out of template contexts.
    cloud = {
        "user_name": login["user_name"],
        "project_name": login["project_name"],
        "project_id": login["project_id"],
        "region": login["region"],
        "regions": list(login["regions"]),
        "read_only": bool(login.get("read_only")),
    }
    return {"cloud": cloud, "nav": nav}
