"""The client against the real emulator over real HTTP, in both wire formats: every operation, equal
records from JSON and XML, faults as typed errors, and one request-log row per call."""

import time
from collections.abc import Callable

import pytest
from django.test import override_settings

from console import api
from console.api import records
from support.models import ApiCall

pytestmark = pytest.mark.django_db

REGION = "region-a.geo-1"
FORMATS = ["json", "xml"]
QUOTA_MESSAGE = (
    "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota"
)


@pytest.fixture(autouse=True)
def _cloud(settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0  # this emulator has no rate limit; the budget has its own tests


@pytest.fixture
def ctx(account) -> api.CloudContext:
    result = api.authenticate(
        username=account["user"], password=account["password"], project=account["project"]
    )
    endpoints = result.regions[REGION]
    return api.CloudContext(
        token=result.token,
        user_id=result.user_id,
        user_name=result.user_name,
        project_id=result.project_id,
        project_name=result.project_name,
        region=REGION,
        volume_url=endpoints.volume_url,
        compute_url=endpoints.compute_url,
        console_request_id="console-req",
    )


def wait_for(read: Callable[[], object], done: Callable[[object], bool], seconds: float = 60.0):
    """Poll until `done(read())`; generous deadline, the machine may be busy."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"still {value!r}"
        time.sleep(0.05)


def gone(read: Callable[[], object]) -> None:
    def missing() -> bool:
        try:
            read()
        except api.NotFound:
            return True
        return False

    wait_for(missing, bool)


def test_login_against_the_emulator(ctx, account):
    assert (ctx.user_name, ctx.project_name, ctx.project_id) == (
        account["user"],
        account["project"],
        account["project_id"],
    )


def test_login_by_project_id_and_wrong_password(account):
    result = api.authenticate(
        username=account["user"], password=account["password"], project=account["project_id"]
    )
    assert result.project_id == account["project_id"]
    assert set(result.regions) == {"region-a.geo-1", "region-b.geo-1"}
    with pytest.raises(api.Unauthorized) as caught:
        api.authenticate(username=account["user"], password="wrong", project=account["project"])
    assert caught.value.status == 401 and caught.value.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_operation(ctx, fmt):
    with override_settings(BLOCK_STORAGE_FORMAT=fmt):
        limits = api.limits_get(ctx)
        assert limits.max_total_volumes > 0 and limits.max_total_volume_gigabytes > 0

        servers = api.server_list(ctx)
        server = next(s for s in servers if s.availability_zone == "az1")
        (image, *_) = api.image_list(ctx)
        assert image.min_disk >= 0 and image.name

        created = api.volume_create(
            ctx, size=1, availability_zone="az1", display_name="data", metadata={"tier": "gold"}
        )
        assert ApiCall.objects.filter(method="POST", resource_type="volume", resource_id=created.id).exists()
        assert (created.size, created.availability_zone, created.display_name) == (1, "az1", "data")
        assert created.created_at is not None and created.created_at.tzinfo is not None
        volume = wait_for(lambda: api.volume_get(ctx, created.id), lambda v: v.status == "available")
        assert volume.metadata == {"tier": "gold"} and volume.source == records.SOURCE_BLANK

        updated = api.volume_update(ctx, volume.id, display_name="renamed", display_description="words")
        assert (updated.display_name, updated.display_description, updated.metadata) == (
            "renamed",
            "words",
            {"tier": "gold"},
        )
        assert volume.id in {v.id for v in api.volume_list(ctx)}

        snapshot = api.snapshot_create(ctx, volume_id=volume.id, display_name="snap")
        snapshot = wait_for(lambda: api.snapshot_get(ctx, snapshot.id), lambda s: s.status == "available")
        assert (snapshot.volume_id, snapshot.name) == (volume.id, "snap")
        assert snapshot.id in {s.id for s in api.snapshot_list(ctx)}

        from_snapshot = api.volume_create(ctx, size=1, snapshot_id=snapshot.id)
        clone = api.volume_create(ctx, size=1, source_volid=volume.id, availability_zone="az1")
        bootable = api.volume_create(ctx, size=max(1, image.min_disk), image_ref=image.id)
        for made in (from_snapshot, clone, bootable):
            wait_for(lambda made=made: api.volume_get(ctx, made.id), lambda v: v.status == "available")
        assert api.volume_get(ctx, from_snapshot.id).source == records.SOURCE_SNAPSHOT
        assert api.volume_get(ctx, clone.id).source == records.SOURCE_VOLUME
        boot = api.volume_get(ctx, bootable.id)
        assert (boot.source, boot.bootable, boot.image_id) == (records.SOURCE_IMAGE, True, image.id)

        backup = api.backup_create(ctx, volume_id=volume.id, name="nightly")
        assert backup.name == "nightly"
        backup = wait_for(lambda: api.backup_get(ctx, backup.id), lambda b: b.status == "available")
        assert (backup.volume_id, backup.container, backup.size) == (volume.id, "volumebackups", 1)
        assert backup.object_count is not None and backup.fail_reason is None
        assert backup.id in {b.id for b in api.backup_list(ctx)}
        (summary,) = [b for b in api.backup_list(ctx, detail=False) if b.id == backup.id]
        assert (summary.name, summary.status) == ("nightly", None)
        assert volume.id in {v.id for v in api.volume_list(ctx, detail=False)}
        assert snapshot.id in {s.id for s in api.snapshot_list(ctx, detail=False)}
        wait_for(lambda: api.volume_get(ctx, volume.id), lambda v: v.status == "available")
        restore = api.backup_restore(ctx, backup.id)
        assert restore.backup_id == backup.id
        wait_for(lambda: api.volume_get(ctx, restore.volume_id), lambda v: v.status == "available")
        wait_for(lambda: api.backup_get(ctx, backup.id), lambda b: b.status == "available")
        into_existing = api.backup_restore(ctx, backup.id, volume_id=clone.id)
        assert into_existing.volume_id == clone.id
        wait_for(lambda: api.volume_get(ctx, clone.id), lambda v: v.status == "available")
        wait_for(lambda: api.backup_get(ctx, backup.id), lambda b: b.status == "available")

        attachment = api.attachment_create(ctx, server.id, volume_id=volume.id)
        assert (attachment.server_id, attachment.volume_id) == (server.id, volume.id)
        assert attachment.guest_path == f"/dev/disk/by-id/virtio-{volume.id[:20]}"
        attached = wait_for(lambda: api.volume_get(ctx, volume.id), lambda v: v.status == "in-use")
        (seen,) = attached.attachments
        assert (seen.server_id, seen.volume_id) == (server.id, volume.id)
        assert api.attachment_list(ctx, server.id) == [api.attachment_get(ctx, server.id, volume.id)]
        api.attachment_delete(ctx, server.id, volume.id)
        wait_for(lambda: api.volume_get(ctx, volume.id), lambda v: v.status == "available")
        assert api.attachment_list(ctx, server.id) == []

        api.backup_delete(ctx, backup.id)
        gone(lambda: api.backup_get(ctx, backup.id))
        api.snapshot_delete(ctx, snapshot.id)  # first: a volume with snapshots cannot be deleted
        gone(lambda: api.snapshot_get(ctx, snapshot.id))
        made = (volume, from_snapshot, clone, bootable)
        for each in made:
            api.volume_delete(ctx, each.id)
        for each in made:
            gone(lambda each=each: api.volume_get(ctx, each.id))


def test_json_and_xml_records_are_equal(ctx, account):
    volume = api.volume_create(ctx, size=2, availability_zone="az3", display_name="both", metadata={"a": "b"})
    wait_for(lambda: api.volume_get(ctx, volume.id), lambda v: v.status == "available")
    (image, *_) = api.image_list(ctx)
    bootable = api.volume_create(
        ctx, size=max(1, image.min_disk), image_ref=image.id, display_description="d"
    )
    snapshot = api.snapshot_create(ctx, volume_id=volume.id, display_description="first")
    wait_for(lambda: api.snapshot_get(ctx, snapshot.id), lambda s: s.status == "available")
    backup = api.backup_create(ctx, volume_id=volume.id, description="copy", container="mine")
    wait_for(lambda: api.backup_get(ctx, backup.id), lambda b: b.status == "available")
    wait_for(lambda: api.volume_get(ctx, bootable.id), lambda v: v.status == "available")
    server = next(s for s in api.server_list(ctx) if s.availability_zone == "az3")
    api.attachment_create(ctx, server.id, volume_id=volume.id)
    wait_for(lambda: api.volume_get(ctx, volume.id), lambda v: v.status == "in-use")

    def everything():
        return {
            "limits": api.limits_get(ctx),
            "volumes": api.volume_list(ctx),
            "volume summaries": api.volume_list(ctx, detail=False),
            "snapshot summaries": api.snapshot_list(ctx, detail=False),
            "backup summaries": api.backup_list(ctx, detail=False),
            "volume": api.volume_get(ctx, volume.id),
            "bootable": api.volume_get(ctx, bootable.id),
            "snapshots": api.snapshot_list(ctx),
            "snapshot": api.snapshot_get(ctx, snapshot.id),
            "backups": api.backup_list(ctx),
            "backup": api.backup_get(ctx, backup.id),
            "attachments": api.attachment_list(ctx, server.id),
            "attachment": api.attachment_get(ctx, server.id, volume.id),
            "servers": api.server_list(ctx),
            "images": api.image_list(ctx),
        }

    with override_settings(BLOCK_STORAGE_FORMAT="json"):
        from_json = everything()
    with override_settings(BLOCK_STORAGE_FORMAT="xml"):
        from_xml = everything()
    for key, value in from_json.items():
        assert value == from_xml[key], key
    assert len(from_json["volumes"]) == 2 and from_json["volume"].attachments


@pytest.mark.parametrize("fmt", FORMATS)
def test_faults_are_typed_errors_with_message_and_request_id(ctx, fmt, emulator):
    with override_settings(BLOCK_STORAGE_FORMAT=fmt):
        with pytest.raises(api.NotFound) as not_found:
            api.volume_get(ctx, "00000000-0000-0000-0000-000000000000")
        assert not_found.value.status == 404 and not_found.value.fault == "itemNotFound"
        assert "could not be found" in not_found.value.message

        with pytest.raises(api.BadRequest) as bad_size:
            api.volume_create(ctx, size=0)
        assert bad_size.value.status == 400 and "size" in bad_size.value.message.lower()

        big = api.volume_create(ctx, size=2047)
        with pytest.raises(api.OverLimit) as over:
            api.volume_create(ctx, size=1000)
        assert (over.value.status, over.value.message, over.value.fault) == (413, QUOTA_MESSAGE, "overLimit")
        wait_for(lambda: api.volume_get(ctx, big.id), lambda v: v.status == "available")
        api.volume_delete(ctx, big.id)

        bad_token = api.CloudContext(**{**ctx.__dict__, "token": "not-a-token"})
        with pytest.raises(api.Unauthorized) as unauthorized:
            api.volume_list(bad_token)
        assert unauthorized.value.status == 401

    errors = [not_found.value, bad_size.value, over.value, unauthorized.value]
    assert all(error.request_id for error in errors)
    logged = {
        row.request_id: row for row in ApiCall.objects.filter(request_id__in=[e.request_id for e in errors])
    }
    assert [logged[e.request_id].status for e in errors] == [404, 400, 413, 401]
    assert logged[over.value.request_id].message == QUOTA_MESSAGE
    emulator_log = emulator.hook("GET", f"/_emulator/log?project={ctx.project_id}&limit=1000")["log"]
    assert {e.request_id for e in errors} <= {entry["request_id"] for entry in emulator_log}


def test_one_log_row_per_call_and_no_secrets(ctx, account, emulator):
    ApiCall.objects.all().delete()
    with api.capture_request_ids() as ids:
        api.volume_list(ctx)
        api.server_list(ctx)
        with pytest.raises(api.NotFound):
            api.snapshot_get(ctx, "nope")
    rows = list(ApiCall.objects.order_by("id"))
    assert [r.request_id for r in rows] == ids and len(ids) == 3
    assert [(r.service, r.method, r.status, r.resource_type, r.resource_id) for r in rows] == [
        ("volume", "GET", 200, "volume", ""),
        ("compute", "GET", 200, "server", ""),
        ("volume", "GET", 404, "snapshot", "nope"),
    ]
    assert all(r.console_request_id == "console-req" and r.project_id == ctx.project_id for r in rows)
    assert rows[0].path == f"/volume/{REGION}/v1/{ctx.project_id}/volumes/detail"
    api.authenticate(username=account["user"], password=account["password"], project=account["project"])
    for row in ApiCall.objects.values():
        text = " ".join(str(value) for value in row.values())
        assert ctx.token not in text and account["password"] not in text
