"""Records of the cloud's resources: small frozen dataclasses built by console.api.wire.

Views and services only ever see these, never wire dictionaries; the JSON and the XML decoders
produce equal records for the same resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Where a volume's data came from (Volume.source).
SOURCE_SNAPSHOT = "snapshot"
SOURCE_VOLUME = "volume"
SOURCE_IMAGE = "image"
SOURCE_BLANK = "blank"

# The device serial a Linux guest sees is the first 20 characters of the volume id (spec 4.5.5.2).
GUEST_SERIAL_LENGTH = 20


@dataclass(frozen=True)
class Attachment:
    """A volume attached to a server: an entry of Volume.attachments (Cinder) or an
    os-volume_attachments record (Nova); both carry the same four fields."""

    id: str
    server_id: str  # "" when attached to a host rather than a server (Cinder v3 without Nova)
    volume_id: str
    device: str | None
    host_name: str | None = None  # Cinder v3: the host the volume is attached to

    @property
    def guest_path(self) -> str:
        """The stable path of the volume inside a Linux guest (use it rather than /dev/vdX)."""
        return f"/dev/disk/by-id/virtio-{self.volume_id[:GUEST_SERIAL_LENGTH]}"


@dataclass(frozen=True)
class Volume:
    id: str
    status: str
    size: int  # GB
    availability_zone: str | None
    display_name: str | None
    display_description: str | None
    created_at: datetime | None  # aware, UTC
    bootable: bool
    attachments: tuple[Attachment, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    snapshot_id: str | None = None
    source_volid: str | None = None
    volume_type: str | None = None
    image_metadata: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.display_name or self.id

    @property
    def source(self) -> str:
        """What the volume was created from: SOURCE_SNAPSHOT, SOURCE_VOLUME, SOURCE_IMAGE or SOURCE_BLANK."""
        if self.snapshot_id:
            return SOURCE_SNAPSHOT
        if self.source_volid:
            return SOURCE_VOLUME
        if self.image_metadata or self.bootable:
            return SOURCE_IMAGE
        return SOURCE_BLANK

    @property
    def image_id(self) -> str | None:
        return self.image_metadata.get("image_id")


@dataclass(frozen=True)
class Snapshot:
    id: str
    status: str
    size: int  # GB
    volume_id: str
    display_name: str | None
    display_description: str | None
    created_at: datetime | None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.display_name or self.id


@dataclass(frozen=True)
class Backup:
    """A volume backup. backup_create's answer only carries id and name: the other fields are None
    until the backup is read again."""

    id: str
    name: str | None
    status: str | None = None
    size: int | None = None  # GB
    volume_id: str | None = None
    availability_zone: str | None = None
    container: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    fail_reason: str | None = None
    object_count: int | None = None

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Restore:
    """The answer of backup_restore: the volume being restored into."""

    backup_id: str
    volume_id: str


@dataclass(frozen=True)
class Server:
    id: str
    name: str
    status: str
    availability_zone: str | None


@dataclass(frozen=True)
class Image:
    id: str
    name: str
    size: int | None  # bytes
    min_disk: int  # GB
    status: str | None


@dataclass(frozen=True)
class RateLimit:
    """One rate limit of GET /limits ("rate"), flattened: one record per verb of each URI."""

    uri: str
    regex: str
    verb: str
    value: int
    unit: str
    remaining: int | None = None
    next_available: str | None = None


@dataclass(frozen=True)
class Limits:
    """GET /limits. `absolute` keeps every absolute limit under its wire name, as ints (-1 = unlimited)."""

    absolute: dict[str, int]
    rate: tuple[RateLimit, ...] = ()

    @property
    def max_total_volumes(self) -> int:
        """Volumes and snapshots together (the spec's quota); -1 when unlimited or not reported."""
        return self.absolute.get("maxTotalVolumes", -1)

    @property
    def max_total_volume_gigabytes(self) -> int:
        return self.absolute.get("maxTotalVolumeGigabytes", -1)

    @property
    def max_total_snapshots(self) -> int:
        return self.absolute.get("maxTotalSnapshots", -1)

    @property
    def total_volumes_used(self) -> int | None:
        return self.absolute.get("totalVolumesUsed")

    @property
    def total_gigabytes_used(self) -> int | None:
        return self.absolute.get("totalGigabytesUsed")

    @property
    def total_snapshots_used(self) -> int | None:
        return self.absolute.get("totalSnapshotsUsed")


@dataclass(frozen=True)
class AvailabilityZone:
    """An availability zone a volume can be created in."""

    name: str
    available: bool = True


@dataclass(frozen=True)
class VolumeType:
    """A volume type of the cloud (GET /types): a backend or a class of storage."""

    id: str
    name: str
    description: str | None = None
    is_public: bool = True


@dataclass(frozen=True)
class Project:
    """A project the logged-in user may work in (Identity GET /auth/projects)."""

    id: str
    name: str
    domain_id: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class ApiVersion:
    """One entry of an API's version document: its id ("v3.0"), status and microversion range."""

    id: str
    status: str
    version: str = ""  # the highest microversion ("" when the API has none)
    min_version: str = ""
