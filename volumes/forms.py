"""Forms of the volumes section. They check the spec's rules before any API call is spent.

Metadata is edited as numbered rows (meta_key_N / meta_value_N, their number in meta_rows): without
JavaScript an "Add row" submit button re-renders the form with one more row and a "Remove" button
per row re-renders it with that row gone; with htmx the same buttons swap only the rows.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping

from django import forms
from django.http import QueryDict

from console.api.records import AvailabilityZone, Image, Snapshot, Volume, VolumeType
from console.quota import QuotaUsage
from console.statuses import status_info
from volumes.selectors import (
    CREATE_KEY_METADATA,
    DEFAULT_ZONE,
    MAX_SIZE,
    MAX_TEXT,
    MIN_SIZE,
    volume_metadata_shown,
)

GIB = 1024**3
MAX_METADATA_ROWS = 25
CREATE_EMPTY_ROWS = 2
_KEY = re.compile(r"^[0-9a-f]{32}$")
_INTEGER = re.compile(r"^[+-]?\d+$")


def new_create_key() -> str:
    return uuid.uuid4().hex


def create_key_is_valid(value: str) -> bool:
    return bool(_KEY.match(value or ""))


def size_range(max_size: int | None) -> str:
    """The sizes a volume may have, in words: "from 1 to 2047", or "of 1 or more" without a cap."""
    return f"from {MIN_SIZE} to {max_size}" if max_size else f"of {MIN_SIZE} or more"


def parse_size(raw: str, max_size: int | None = MAX_SIZE) -> int:
    """A size in GB from user input; ValidationError with a plain message otherwise. `max_size`: the
    cloud's largest volume (None: only the quota limits it)."""
    value = (raw or "").strip()
    if not value:
        raise forms.ValidationError(f"Enter the size in GB (a whole number {size_range(max_size)}).")
    if not _INTEGER.match(value):
        raise forms.ValidationError(
            f"“{value[:20]}” is not a whole number of GB: enter a size {size_range(max_size)}, such as 10."
        )
    size = int(value)
    if size < MIN_SIZE or (max_size and size > max_size):
        if max_size:
            raise forms.ValidationError(
                f"A volume is {MIN_SIZE} to {max_size} GB; {size} GB is not possible."
            )
        raise forms.ValidationError(f"A volume is at least {MIN_SIZE} GB; {size} GB is not possible.")
    return size


def image_minimum(image: Image) -> int:
    """The smallest volume an image fits on: its minDisk, and at least its size rounded up to GB."""
    from_size = math.ceil(image.size / GIB) if image.size else 0
    return max(image.min_disk or 0, from_size, MIN_SIZE)


def metadata_rows(data: Mapping[str, str] | None, *, initial_count: int) -> int:
    """How many metadata rows the form shows."""
    if data is None:
        return initial_count
    try:
        rows = int(data.get("meta_rows", initial_count))
    except (TypeError, ValueError):
        rows = initial_count
    return max(0, min(MAX_METADATA_ROWS, rows))


def metadata_rows_edited(data: QueryDict) -> dict[str, str] | None:
    """The form's values after an "add row" or "remove row N" button, or None when neither was pressed."""
    rows = metadata_rows(data, initial_count=0)
    values = {key: value for key, value in data.items() if key != "csrfmiddlewaretoken"}
    pairs = [(data.get(f"meta_key_{i}", ""), data.get(f"meta_value_{i}", "")) for i in range(rows)]
    if "add_row" in data:
        pairs.append(("", ""))
    elif "remove_row" in data:
        try:
            index = int(data["remove_row"])
        except ValueError:
            index = -1
        if 0 <= index < len(pairs):
            del pairs[index]
    else:
        return None
    pairs = pairs[:MAX_METADATA_ROWS]
    for key in list(values):
        if key.startswith("meta_") or key in ("add_row", "remove_row"):
            del values[key]
    for i, (key, value) in enumerate(pairs):
        values[f"meta_key_{i}"] = key
        values[f"meta_value_{i}"] = value
    values["meta_rows"] = str(len(pairs))
    return values


class MetadataRowsMixin:
    """Numbered metadata rows, validated like the API does (string keys of 1-255, values <= 255)."""

    def add_metadata_fields(self, rows: int) -> None:
        # The row count is read leniently by metadata_rows(): a tampered count (not a number, a NUL)
        # is ignored, never an error on a hidden field that nobody would see. A bare Field has no
        # validators.
        self.fields["meta_rows"] = forms.Field(widget=forms.HiddenInput, required=False, initial=rows)
        self.metadata_count = rows
        for i in range(rows):
            self.fields[f"meta_key_{i}"] = forms.CharField(
                label=f"Key {i + 1}", required=False, max_length=MAX_TEXT, strip=False
            )
            self.fields[f"meta_value_{i}"] = forms.CharField(
                label=f"Value {i + 1}", required=False, max_length=MAX_TEXT, strip=False
            )

    def metadata_bound_rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [(i, self[f"meta_key_{i}"], self[f"meta_value_{i}"]) for i in range(self.metadata_count)]

    def clean_metadata(self, cleaned: dict) -> dict[str, str]:
        metadata: dict[str, str] = {}
        for i in range(self.metadata_count):
            key = cleaned.get(f"meta_key_{i}")
            value = cleaned.get(f"meta_value_{i}")
            if key is None or value is None:
                continue  # that field already has its error
            if not key.strip() and not value:
                continue  # an empty row
            if not key.strip():
                self.add_error(f"meta_key_{i}", "Give this value a key (1 to 255 characters).")
            elif key == CREATE_KEY_METADATA:
                self.add_error(
                    f"meta_key_{i}", "This key is reserved: the console uses it to avoid duplicates."
                )
            elif key in metadata:
                self.add_error(f"meta_key_{i}", f"The key “{key}” is used twice; keep one.")
            else:
                metadata[key] = value
        return metadata


class VolumeCreateForm(MetadataRowsMixin, forms.Form):
    create_key = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField(label="Name", required=False, max_length=MAX_TEXT)
    description = forms.CharField(
        label="Description", required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    snapshot_id = forms.CharField(label="From a snapshot", required=False, widget=forms.Select)
    source_volid = forms.CharField(label="Clone a volume", required=False, widget=forms.Select)
    image_id = forms.CharField(label="From an image (bootable)", required=False, widget=forms.Select)
    size = forms.CharField(
        label="Size (GB)",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    availability_zone = forms.ChoiceField(
        label="Availability zone",
        required=False,
        help_text="A volume made from a snapshot or a volume is created in its source's zone.",
    )
    volume_type = forms.ChoiceField(label="Volume type", required=False)

    def __init__(
        self,
        data: Mapping[str, str] | None = None,
        *,
        snapshots: Iterable[Snapshot],
        volumes: Iterable[Volume],
        images: Iterable[Image],
        usage: QuotaUsage | None,
        initial: dict | None = None,
        zones: Iterable[AvailabilityZone] = (),
        types: Iterable[VolumeType] = (),
        default_zone: str | None = DEFAULT_ZONE,
        max_size: int | None = MAX_SIZE,
    ) -> None:
        super().__init__(data, initial=initial)
        self.max_size = max_size
        self.fields["size"].help_text = (
            f"{MIN_SIZE} to {max_size} GB" if max_size else f"{MIN_SIZE} GB or more, as the quota allows"
        ) + "; at least the size of the snapshot or volume, or the image's minimum disk."
        # Without a default zone of its own the cloud chooses one (Cinder: its default_availability_zone).
        zone_choices = [] if default_zone else [("", "Any: the cloud chooses")]
        self.fields["availability_zone"].choices = zone_choices + [
            (zone.name, zone.name) for zone in zones if zone.available
        ]
        self.fields["availability_zone"].required = bool(default_zone)
        self.fields["availability_zone"].initial = default_zone or ""
        self.types = {volume_type.name: volume_type for volume_type in types}
        self.fields["volume_type"].choices = [("", "The cloud's default type")] + [
            (name, name) for name in self.types
        ]
        self.snapshots = {snapshot.id: snapshot for snapshot in snapshots}
        self.volumes = {volume.id: volume for volume in volumes}
        self.images = {image.id: image for image in images}
        self.usage = usage
        self.source: tuple[str, str] | None = None  # (kind, id) once cleaned
        source_rows = data if data is not None else initial
        self.add_metadata_fields(metadata_rows(source_rows, initial_count=CREATE_EMPTY_ROWS))
        self.fields["snapshot_id"].widget.choices = [("", "None")] + [
            (s.id, f"{s.name} ({s.size} GB)") for s in self.snapshots.values() if s.status == "available"
        ]
        self.fields["source_volid"].widget.choices = [("", "None")] + [
            (v.id, f"{v.name} ({v.size} GB, {v.availability_zone or 'no zone'})")
            for v in self.volumes.values()
            if v.status == "available"
        ]
        self.fields["image_id"].widget.choices = [("", "None")] + [
            (i.id, f"{i.name} (at least {image_minimum(i)} GB)")
            for i in self.images.values()
            if (i.status or "active") == "active"
        ]

    @property
    def offers_types(self) -> bool:
        return bool(self.types)

    def clean_create_key(self) -> str:
        key = self.cleaned_data["create_key"]
        if not create_key_is_valid(key):
            raise forms.ValidationError("This form is damaged; reload the page.")
        return key

    def clean_snapshot_id(self) -> str:
        value = self.cleaned_data["snapshot_id"].strip()
        if value:
            snapshot = self.snapshots.get(value)
            if snapshot is None:
                raise forms.ValidationError("There is no such snapshot in this project and region.")
            if snapshot.status != "available":
                label = status_info(snapshot.status).label.lower()
                raise forms.ValidationError(f"Only an available snapshot can be used; this one is {label}.")
        return value

    def clean_source_volid(self) -> str:
        value = self.cleaned_data["source_volid"].strip()
        if value:
            volume = self.volumes.get(value)
            if volume is None:
                raise forms.ValidationError("There is no such volume in this project and region.")
            if volume.status != "available":
                label = status_info(volume.status).label.lower()
                raise forms.ValidationError(f"Only an available volume can be cloned; this one is {label}.")
        return value

    def clean_image_id(self) -> str:
        value = self.cleaned_data["image_id"].strip()
        if value:
            image = self.images.get(value)
            if image is None:
                raise forms.ValidationError("There is no such image.")
            if (image.status or "active") != "active":
                raise forms.ValidationError("This image is not active; choose another.")
        return value

    def source_zone(self) -> tuple[str, str] | None:
        """(the zone the chosen snapshot or volume is in, what it is), when known. The cloud makes a
        volume from a snapshot or a clone in its source's zone only (a snapshot's is its volume's)."""
        if self.source is None or self.source[0] == "image":
            return None
        kind, source_id = self.source
        if kind == "snapshot":
            origin = self.volumes.get(self.snapshots[source_id].volume_id)
            what = "the snapshot's volume"
        else:
            origin, what = self.volumes[source_id], "the source volume"
        zone = origin.availability_zone if origin is not None else None
        return (zone, what) if zone else None

    def source_minimum(self) -> tuple[int, str] | None:
        """(the smallest size the chosen source allows, what it is), when a source is chosen."""
        if self.source is None:
            return None
        kind, source_id = self.source
        if kind == "snapshot":
            return self.snapshots[source_id].size, "the snapshot's size"
        if kind == "volume":
            return self.volumes[source_id].size, "the source volume's size"
        return image_minimum(self.images[source_id]), "the image's minimum disk"

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen = [
            (kind, cleaned.get(field))
            for kind, field in (
                ("snapshot", "snapshot_id"),
                ("volume", "source_volid"),
                ("image", "image_id"),
            )
            if self.data.get(field, "").strip()
        ]
        if len(chosen) > 1:
            names = " and ".join(f"a {kind}" for kind, _ in chosen)
            raise forms.ValidationError(
                f"Choose one source only: you chose {names}. Set the others to “None”.", code="sources"
            )
        if chosen and chosen[0][1]:
            self.source = chosen[0]
        cleaned["metadata"] = self.clean_metadata(cleaned)
        zone = self.source_zone()
        if zone is not None and cleaned.get("availability_zone") and cleaned["availability_zone"] != zone[0]:
            self.add_error(
                "availability_zone",
                f"A volume made from a snapshot or a volume is created in its source's zone: "
                f"{zone[1]} is in {zone[0]}, so choose {zone[0]}.",
            )
        if "size" in self.errors or any(
            field in self.errors for field in ("snapshot_id", "source_volid", "image_id")
        ):
            return cleaned
        minimum = self.source_minimum()
        raw_size = (self.data.get("size") or "").strip()
        try:
            size = parse_size(raw_size, self.max_size) if raw_size or minimum is None else minimum[0]
        except forms.ValidationError as error:
            self.add_error("size", error)
            return cleaned
        if minimum is not None and size < minimum[0]:
            self.add_error("size", f"At least {minimum[0]} GB ({minimum[1]}); {size} GB is too small.")
            return cleaned
        cleaned["size"] = size
        self.check_quota(size)
        return cleaned

    def check_quota(self, size: int) -> None:
        if self.usage is None:
            return
        count, gigabytes = self.usage.count, self.usage.gigabytes
        if not count.fits(1):
            self.add_error(
                None,
                f"Your quota is full: the project has {count.used} of {count.limit} {count.noun}, "
                f"so this volume would be number {count.used + 1}. Delete one of them first.",
            )
        if not gigabytes.fits(size):
            self.add_error(
                "size",
                f"This would go over your storage quota: {gigabytes.used} of {gigabytes.limit} GB are used, "
                f"{gigabytes.remaining} GB are left and this volume needs {size} GB.",
            )


class VolumeEditForm(MetadataRowsMixin, forms.Form):
    name = forms.CharField(label="Name", required=False, max_length=MAX_TEXT)
    description = forms.CharField(
        label="Description", required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, data: Mapping[str, str] | None = None, *, initial: dict | None = None) -> None:
        super().__init__(data, initial=initial)
        source_rows = data if data is not None else initial
        self.add_metadata_fields(metadata_rows(source_rows, initial_count=1))

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["metadata"] = self.clean_metadata(cleaned)
        return cleaned


class VolumeExtendForm(forms.Form):
    """Grow a volume: the new size, checked against the volume, the cloud's largest size and the
    project's gigabytes quota before any call."""

    new_size = forms.CharField(
        label="New size (GB)",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": "Enter the new size in GB."},
    )

    def __init__(
        self,
        data: Mapping[str, str] | None = None,
        *,
        volume: Volume,
        usage: QuotaUsage | None,
        max_size: int | None,
        initial: dict | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.volume = volume
        self.usage = usage
        self.max_size = max_size
        self.fields["new_size"].help_text = f"Larger than its {volume.size} GB now" + (
            f", at most {max_size} GB." if max_size else "; the quota is the limit."
        )

    def clean_new_size(self) -> int:
        new_size = parse_size(self.cleaned_data["new_size"], self.max_size)
        if new_size <= self.volume.size:
            raise forms.ValidationError(
                f"The volume has {self.volume.size} GB: a volume can only grow, so enter more than that."
            )
        growth = new_size - self.volume.size
        if self.usage is not None and not self.usage.gigabytes.fits(growth):
            gauge = self.usage.gigabytes
            raise forms.ValidationError(
                f"This would go over your storage quota: {gauge.used} of {gauge.limit} GB are used, "
                f"{gauge.remaining} GB are left and growing to {new_size} GB needs {growth} GB more."
            )
        return new_size


def edit_initial(volume: Volume) -> dict:
    """The edit form's values for a volume (the console's own create key is not editable)."""
    pairs = volume_metadata_shown(volume)
    initial: dict = {"name": volume.display_name or "", "description": volume.display_description or ""}
    for i, (key, value) in enumerate(pairs):
        initial[f"meta_key_{i}"] = key
        initial[f"meta_value_{i}"] = value
    initial["meta_rows"] = len(pairs) + 1
    return initial
