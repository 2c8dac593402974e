"""Forms of the snapshots section. They check the spec's rules before any API call is spent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django import forms
from django.core.validators import RegexValidator

from console.api.records import Snapshot, Volume
from console.quota import QuotaUsage
from console.statuses import status_info
from snapshots.selectors import DERIVED_LIMIT, volume_derived

MAX_TEXT = 255
submission_key = RegexValidator(
    r"^[0-9a-f]{32}$", "This form has expired: reload the page and submit it again."
)


def new_submission_key() -> str:
    return uuid.uuid4().hex


def volume_choice_label(volume: Volume) -> str:
    return f"{volume.name} · {volume.size} GB · {status_info(volume.status).label}"


class SubmissionField(forms.CharField):
    """The hidden one-time key of a create form (see snapshots.services.submission_claim)."""

    def __init__(self) -> None:
        super().__init__(widget=forms.HiddenInput, validators=[submission_key])


class SnapshotCreateForm(forms.Form):
    volume_id = forms.ChoiceField(
        label="Volume",
        error_messages={
            "required": "Choose the volume to take a snapshot of.",
            "invalid_choice": "Choose one of this project's volumes.",
        },
    )
    name = forms.CharField(label="Name", max_length=MAX_TEXT, required=False)
    description = forms.CharField(
        label="Description", max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    submission = SubmissionField()

    def __init__(
        self,
        *args,
        volumes: list[Volume],
        snapshots: Sequence[Snapshot],
        quota: QuotaUsage,
        derived_limit: int | None = DERIVED_LIMIT,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.derived_limit = derived_limit
        self.volumes = {volume.id: volume for volume in volumes}
        self.snapshots = snapshots
        self.quota = quota
        self.fields["volume_id"].choices = [("", "Choose a volume")] + [
            (volume.id, volume_choice_label(volume)) for volume in volumes
        ]

    def clean(self) -> dict:
        data = super().clean()
        volume = self.volumes.get(data.get("volume_id", ""))
        if volume is None:
            return data
        data["volume"] = volume
        # The cloud cannot snapshot a volume attached to a server (spec 4.5.3), force or not.
        if volume.status == "in-use":
            self.add_error(
                "volume_id",
                "This volume is attached to a server, and the cloud cannot take a snapshot of an attached "
                "volume. Detach it first, then take the snapshot.",
            )
        elif volume.status != "available":
            self.add_error(
                "volume_id",
                f"This volume is {status_info(volume.status).label.lower()}: a snapshot can only be "
                "taken of an available volume.",
            )
        derived = volume_derived(volume_id=volume.id, snapshots=self.snapshots, volumes=self.volumes.values())
        if self.derived_limit and derived.count >= self.derived_limit:
            self.add_error(
                "volume_id",
                f"{derived.count} snapshots and volumes have already been made from this volume; the cloud "
                f"allows {self.derived_limit}, so a new snapshot would end in error. Make a volume from one "
                "of its snapshots and snapshot that one instead.",
            )
        if not self.quota.count.fits(1):
            self.add_error(
                None,
                f"The project already uses {self.quota.count.used} of its {self.quota.count.limit} "
                f"{self.quota.count.noun}: delete some or ask for more quota before taking a snapshot.",
            )
        if not self.quota.gigabytes.fits(volume.size):
            self.add_error(
                None,
                f"A snapshot of this volume takes {volume.size} GB and only "
                f"{self.quota.gigabytes.remaining} GB of the project's quota are left.",
            )
        return data
