"""What every Block Storage dialect has in common, and what each one decides for itself.

A `Dialect` is one way a cloud speaks Block Storage: the paths and verbs (the same for the whole
Cinder family), the wire format, the names of fields, how lists come back (one answer, or pages
with next links), which operations exist, and the quotas /limits reports. Every operation of
console.api.operations is a method here; a dialect overrides what differs. Views, templates and
services never ask which dialect they talk to: they read records, and the capabilities below
(`extend_refusal`, `max_volume_size`, `quotas` ...), which every dialect answers.

Compute (Nova's servers, images and os-volume_attachments) is the same for every dialect.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final
from urllib.parse import quote

from console.api import http
from console.api.context import CloudContext
from console.api.errors import CatalogError, Unsupported
from console.api.records import (
    Attachment,
    AvailabilityZone,
    Backup,
    Image,
    Limits,
    Restore,
    Server,
    Snapshot,
    Volume,
    VolumeType,
)
from console.api.wire import (
    JSON,
    WireFormat,
    backup_from,
    decoding,
    restore_from,
    snapshot_from,
    volume_from,
)

VOLUME = http.VOLUME
COMPUTE = http.COMPUTE


class _Unset:
    """The default of volume_update's fields: leave as it is (None would clear it)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


@dataclass(frozen=True)
class QuotaSpec:
    """One quota of a dialect's /limits, and how its usage is known.

    `used_keys`: the /limits fields that report usage (summed); `counted`: (listing kind, "count" or
    "gigabytes") pairs that count it from the console's own listings. `reported_first`: whether the
    reported figure wins over the count when both are known (else the count of complete listings
    wins: it follows the console's own actions at once, where /limits is read every few minutes).
    """

    key: str  # stable id: the chart is "chart-<key>"
    label: str  # "Volumes and snapshots"
    noun: str  # what is counted, in a sentence: "volumes and snapshots"
    unit: str  # "" or "GB"
    limit_key: str  # maxTotalVolumes
    used_keys: tuple[str, ...]
    counted: tuple[tuple[str, str], ...]
    note: str  # one sentence under the chart
    reported_first: bool = True


def resource_id(value: str) -> str:
    """A resource id as one path segment (an id can never reach another path)."""
    return quote(str(value), safe="")


def present(**fields: Any) -> dict[str, Any]:
    """The fields that were given (the API treats a missing field as "not specified")."""
    return {key: value for key, value in fields.items() if value is not None}


class Dialect(ABC):
    """The operations and capabilities of one Block Storage dialect (see the module's docstring)."""

    name: ClassVar[str]  # stored in the session and in CloudContext.dialect
    label: ClassVar[str]  # for people: "Cinder v3 (microversion 3.60)"
    # Capabilities the pages and forms read.
    max_volume_size: ClassVar[int | None] = None  # GB; None: only the quota limits it
    default_zone: ClassVar[str | None] = None  # None: the cloud chooses
    restore_zone: ClassVar[str | None] = None  # where a restore into a new volume lands, when known
    derived_limit: ClassVar[int | None] = None  # volumes and snapshots made from one volume, at most
    # The statuses a volume may be deleted from (when nothing else blocks it), and that rule in words.
    deletable_volume_statuses: ClassVar[tuple[str, ...]] = ("available", "error")
    deletable_volume_rule: ClassVar[str] = "it must be available or in error"
    quotas: ClassVar[tuple[QuotaSpec, ...]] = ()
    # Whether a project's quotas count its resources in every region (else each region its own).
    quota_spans_regions: ClassVar[bool] = False
    # What creating one resource of a kind counts against: (count quota key, gigabytes quota key).
    quota_for: ClassVar[Mapping[str, tuple[str, str] | None]] = {}
    # The request bodies' names of a volume's or snapshot's name and description.
    name_field: ClassVar[str] = "name"
    description_field: ClassVar[str] = "description"

    # --- transport --------------------------------------------------------------------------------

    def wire(self) -> WireFormat:
        """The wire format of every call (Block Storage and Compute alike)."""
        return JSON

    def headers(self, ctx: CloudContext) -> dict[str, str]:
        """Headers every Block Storage call of this dialect carries (a microversion, say)."""
        return {}

    def describe(self, ctx: CloudContext) -> str:
        return self.label

    def base_url(self, ctx: CloudContext, service: str) -> str:
        base_url = ctx.volume_url if service == VOLUME else ctx.compute_url
        if not base_url:
            raise CatalogError(
                None, f"Region {ctx.region} offers no {service} service.", fault="catalogError"
            )
        return base_url.rstrip("/")

    def call(
        self,
        ctx: CloudContext,
        service: str,
        method: str,
        path: str,
        *,
        decode: http.Decoder | None = None,
        root: str = "",
        fields: Mapping[str, Any] | None = None,
    ) -> Any:
        """One call (plus the retries of a read) to `path` under the service's endpoint."""
        return self.send(
            ctx, service, method, self.base_url(ctx, service) + path, decode=decode, root=root, fields=fields
        ).data

    def send(
        self,
        ctx: CloudContext,
        service: str,
        method: str,
        url: str,
        *,
        decode: http.Decoder | None = None,
        root: str = "",
        fields: Mapping[str, Any] | None = None,
    ) -> http.Reply:
        fmt = self.wire()
        body = None if fields is None else fmt.encode(root, fields)
        return http.request(
            ctx,
            service=service,
            method=method,
            url=url,
            fmt=fmt,
            body=body,
            decode=decode,
            headers=self.headers(ctx) if service == VOLUME else None,
        )

    def list_all(self, ctx: CloudContext, path: str, *, kind: str, root: str) -> list[Any]:
        """Every record of a collection. This dialect answers a list in one piece."""
        return self.call(ctx, VOLUME, "GET", path, decode=self.many_decoder(kind, root))

    # --- records ----------------------------------------------------------------------------------

    def record(self, kind: str, mapping: Mapping[str, Any]) -> Any:
        """A record from one object of an answer, in the JSON shape of the spec."""
        return RECORD_BUILDERS[kind](mapping)

    def one_decoder(self, kind: str, root: str) -> http.Decoder:
        @decoding
        def decode(fmt: WireFormat, body: bytes) -> Any:
            return self.record(kind, fmt.one(body, root))

        return decode

    def many_decoder(self, kind: str, root: str) -> http.Decoder:
        @decoding
        def decode(fmt: WireFormat, body: bytes) -> list[Any]:
            return [self.record(kind, item) for item in fmt.many(body, root)]

        return decode

    # --- capabilities -----------------------------------------------------------------------------

    def extend_refusal(self, ctx: CloudContext, volume: Volume) -> str:
        """Why `volume` cannot be extended here and now ("" when it can)."""
        return "This cloud's Block Storage API has no extend action."

    def attach_refusal(self, ctx: CloudContext) -> str:
        """Why volumes cannot be attached to servers in this region ("" when they can)."""
        if ctx.compute_url:
            return ""
        return (
            f"Region {ctx.region} has no Compute service in your project's catalog, so the console cannot "
            "attach or detach volumes here; the volumes' attachments are still shown as the Block "
            "Storage API reports them."
        )

    # --- limits -----------------------------------------------------------------------------------

    def limits_get(self, ctx: CloudContext) -> Limits:
        return self.call(ctx, VOLUME, "GET", "/limits", decode=WireFormat.limits)

    # --- zones and types --------------------------------------------------------------------------

    @abstractmethod
    def availability_zone_list(self, ctx: CloudContext) -> list[AvailabilityZone]:
        """The zones a volume can be created in."""

    @abstractmethod
    def volume_type_list(self, ctx: CloudContext) -> list[VolumeType]:
        """The volume types a volume can be created with (empty: the API has none)."""

    # --- volumes ----------------------------------------------------------------------------------

    def volume_list(self, ctx: CloudContext, *, detail: bool = True) -> list[Volume]:
        return self.list_all(ctx, "/volumes/detail" if detail else "/volumes", kind="volume", root="volumes")

    def volume_get(self, ctx: CloudContext, volume_id: str) -> Volume:
        return self.call(
            ctx,
            VOLUME,
            "GET",
            f"/volumes/{resource_id(volume_id)}",
            decode=self.one_decoder("volume", "volume"),
        )

    def volume_create(
        self,
        ctx: CloudContext,
        *,
        size: int,
        availability_zone: str | None = None,
        display_name: str | None = None,
        display_description: str | None = None,
        snapshot_id: str | None = None,
        source_volid: str | None = None,
        image_ref: str | None = None,
        metadata: Mapping[str, str] | None = None,
        volume_type: str | None = None,
    ) -> Volume:
        fields = present(
            size=size,
            availability_zone=availability_zone,
            **{self.name_field: display_name, self.description_field: display_description},
            snapshot_id=snapshot_id,
            source_volid=source_volid,
            imageRef=image_ref,
            metadata=dict(metadata) if metadata else None,
            volume_type=volume_type,
        )
        return self.call(
            ctx,
            VOLUME,
            "POST",
            "/volumes",
            decode=self.one_decoder("volume", "volume"),
            root="volume",
            fields=fields,
        )

    def volume_update(
        self,
        ctx: CloudContext,
        volume_id: str,
        *,
        display_name: str | None | _Unset = UNSET,
        display_description: str | None | _Unset = UNSET,
        metadata: Mapping[str, str] | _Unset = UNSET,
    ) -> Volume:
        given = {
            self.name_field: display_name,
            self.description_field: display_description,
            "metadata": metadata,
        }
        fields = {key: dict(value) if isinstance(value, Mapping) else value for key, value in given.items()}
        fields = {key: value for key, value in fields.items() if value is not UNSET}
        return self.call(
            ctx,
            VOLUME,
            "PUT",
            f"/volumes/{resource_id(volume_id)}",
            decode=self.one_decoder("volume", "volume"),
            root="volume",
            fields=fields,
        )

    def volume_delete(self, ctx: CloudContext, volume_id: str) -> None:
        self.call(ctx, VOLUME, "DELETE", f"/volumes/{resource_id(volume_id)}")

    def volume_extend(self, ctx: CloudContext, volume_id: str, *, new_size: int) -> None:
        raise Unsupported(None, "This cloud's Block Storage API has no extend action.", fault="unsupported")

    # --- snapshots --------------------------------------------------------------------------------

    def snapshot_list(self, ctx: CloudContext, *, detail: bool = True) -> list[Snapshot]:
        path = "/snapshots/detail" if detail else "/snapshots"
        return self.list_all(ctx, path, kind="snapshot", root="snapshots")

    def snapshot_get(self, ctx: CloudContext, snapshot_id: str) -> Snapshot:
        return self.call(
            ctx,
            VOLUME,
            "GET",
            f"/snapshots/{resource_id(snapshot_id)}",
            decode=self.one_decoder("snapshot", "snapshot"),
        )

    def snapshot_create(
        self,
        ctx: CloudContext,
        *,
        volume_id: str,
        force: bool = False,
        display_name: str | None = None,
        display_description: str | None = None,
    ) -> Snapshot:
        fields = present(
            volume_id=volume_id,
            force=force,
            **{self.name_field: display_name, self.description_field: display_description},
        )
        return self.call(
            ctx,
            VOLUME,
            "POST",
            "/snapshots",
            decode=self.one_decoder("snapshot", "snapshot"),
            root="snapshot",
            fields=fields,
        )

    def snapshot_delete(self, ctx: CloudContext, snapshot_id: str) -> None:
        self.call(ctx, VOLUME, "DELETE", f"/snapshots/{resource_id(snapshot_id)}")

    # --- backups ----------------------------------------------------------------------------------

    def backup_list(self, ctx: CloudContext, *, detail: bool = True) -> list[Backup]:
        return self.list_all(ctx, "/backups/detail" if detail else "/backups", kind="backup", root="backups")

    def backup_get(self, ctx: CloudContext, backup_id: str) -> Backup:
        return self.call(
            ctx,
            VOLUME,
            "GET",
            f"/backups/{resource_id(backup_id)}",
            decode=self.one_decoder("backup", "backup"),
        )

    def backup_create(
        self,
        ctx: CloudContext,
        *,
        volume_id: str,
        container: str | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> Backup:
        fields = present(volume_id=volume_id, container=container, name=name, description=description)
        return self.call(
            ctx,
            VOLUME,
            "POST",
            "/backups",
            decode=self.one_decoder("backup", "backup"),
            root="backup",
            fields=fields,
        )

    def backup_delete(self, ctx: CloudContext, backup_id: str) -> None:
        self.call(ctx, VOLUME, "DELETE", f"/backups/{resource_id(backup_id)}")

    def backup_restore(self, ctx: CloudContext, backup_id: str, *, volume_id: str | None = None) -> Restore:
        return self.call(
            ctx,
            VOLUME,
            "POST",
            f"/backups/{resource_id(backup_id)}/restore",
            decode=self.one_decoder("restore", "restore"),
            root="restore",
            fields=present(volume_id=volume_id),
        )

    # --- attachments, servers and images (Compute: the same for every dialect) --------------------

    def attachment_list(self, ctx: CloudContext, server_id: str) -> list[Attachment]:
        return self.call(
            ctx,
            COMPUTE,
            "GET",
            f"/servers/{resource_id(server_id)}/os-volume_attachments",
            decode=WireFormat.attachments,
        )

    def attachment_get(self, ctx: CloudContext, server_id: str, volume_id: str) -> Attachment:
        return self.call(
            ctx,
            COMPUTE,
            "GET",
            f"/servers/{resource_id(server_id)}/os-volume_attachments/{resource_id(volume_id)}",
            decode=WireFormat.attachment,
        )

    def attachment_create(
        self, ctx: CloudContext, server_id: str, *, volume_id: str, device: str | None = None
    ) -> Attachment:
        return self.call(
            ctx,
            COMPUTE,
            "POST",
            f"/servers/{resource_id(server_id)}/os-volume_attachments",
            decode=WireFormat.attachment,
            root="volumeAttachment",
            fields=present(volumeId=volume_id, device=device),
        )

    def attachment_delete(self, ctx: CloudContext, server_id: str, volume_id: str) -> None:
        self.call(
            ctx,
            COMPUTE,
            "DELETE",
            f"/servers/{resource_id(server_id)}/os-volume_attachments/{resource_id(volume_id)}",
        )

    def server_list(self, ctx: CloudContext) -> list[Server]:
        """The project's servers; none, without a call, in a region whose catalog has no Compute."""
        if not ctx.compute_url:
            return []
        return self.call(ctx, COMPUTE, "GET", "/servers/detail", decode=WireFormat.servers)

    def image_list(self, ctx: CloudContext) -> list[Image]:
        """Images (through Compute's image API); none, without a call, where there is no Compute."""
        if not ctx.compute_url:
            return []
        return self.call(ctx, COMPUTE, "GET", "/images/detail", decode=WireFormat.images)


RECORD_BUILDERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "volume": volume_from,
    "snapshot": snapshot_from,
    "backup": backup_from,
    "restore": restore_from,
}
