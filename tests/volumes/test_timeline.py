"""The shared lifecycle timeline: one project's and region's events, oldest first, ids to copy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from console.api.context import CloudContext
from console.models import LifecycleEvent
from console.timeline import timeline_for

pytestmark = pytest.mark.django_db


def context(project_id: str, region: str = "region-a.geo-1") -> CloudContext:
    return CloudContext(
        token="secret-token",
        user_id="u",
        user_name="user",
        project_id=project_id,
        project_name="p",
        region=region,
        volume_url="http://x/volume",
        compute_url="http://x/compute",
    )


def event(
    project_id: str, to_status: str, *, from_status: str = "", minutes: int = 0, region="region-a.geo-1"
):
    return LifecycleEvent.objects.create(
        region=region,
        project_id=project_id,
        resource_type="volume",
        resource_id="vol-1",
        from_status=from_status,
        to_status=to_status,
        observed_at=timezone.now() + timedelta(minutes=minutes),
        request_id=f"req-{project_id}-{to_status}",
        source=LifecycleEvent.Source.REFRESH if from_status else LifecycleEvent.Source.ACTION,
    )


def test_timeline_is_the_projects_own_history_oldest_first():
    event("p1", "creating")
    event("p1", "available", from_status="creating", minutes=1)
    event("p2", "error")  # another project, same resource id
    event("p1", "deleting", from_status="available", minutes=2, region="region-b.geo-1")
    entries = timeline_for(context("p1"), resource_type="volume", resource_id="vol-1")
    assert [(e.from_info and e.from_info.label, e.to_info.label) for e in entries] == [
        (None, "Creating"),
        ("Creating", "Available"),
    ]
    assert [e.source_label for e in entries] == ["console action", "inventory refresh"]
    assert timeline_for(context("p3"), resource_type="volume", resource_id="vol-1") == []


def test_timeline_keeps_the_latest_events():
    for minute in range(5):
        event("p1", f"s{minute}", from_status="x", minutes=minute)
    entries = timeline_for(context("p1"), resource_type="volume", resource_id="vol-1", limit=2)
    assert [e.to_info.label for e in entries] == ["s3", "s4"]


def test_timeline_renders_badges_request_ids_and_escapes():
    LifecycleEvent.objects.create(
        region="region-a.geo-1",
        project_id="p1",
        resource_type="volume",
        resource_id="vol-1",
        from_status="creating",
        to_status="<script>alert(1)</script>",
        observed_at=timezone.now(),
        request_id="req-<b>1</b>",
        source=LifecycleEvent.Source.REFRESH,
        note="<img src=x onerror=alert(1)>",
    )
    entries = timeline_for(context("p1"), resource_type="volume", resource_id="vol-1")
    html = render_to_string("components/timeline.html", {"entries": entries})
    assert "<script>" not in html and "<img" not in html and "<b>1</b>" not in html
    assert "&lt;script&gt;" in html
    assert 'class="request-id">req-&lt;b&gt;1&lt;/b&gt;</code>' in html
    assert 'data-copy="req-&lt;b&gt;1&lt;/b&gt;"' in html
    assert "badge--busy" in html  # creating


def test_empty_timeline_says_so():
    html = render_to_string("components/timeline.html", {"entries": []})
    assert "No status changes observed yet" in html
