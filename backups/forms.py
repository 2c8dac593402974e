"""Forms of the backups section. They check the spec's rules before any API call is spent."""

from __future__ import annotations

from django import forms

from backups.selectors import DEFAULT_CONTAINER, restore_refusal
from console.api.records import Backup, Volume
from console.quota import QuotaUsage
from console.statuses import status_info
from snapshots.forms import MAX_TEXT, SubmissionField, volume_choice_label

NEW = "new"
EXISTING = "existing"


class BackupCreateForm(forms.Form):
    volume_id = forms.ChoiceField(
        label="Volume",
        error_messages={
            "required": "Choose the volume to back up.",
            "invalid_choice": "Choose one of this project's volumes.",
        },
    )
    container = forms.CharField(
        label="Container",
        max_length=MAX_TEXT,
        initial=DEFAULT_CONTAINER,
        required=False,
        help_text=(
            "The object storage container the backup is written to; it is created if it does not exist. "
            f"Left empty, the cloud uses {DEFAULT_CONTAINER}."
        ),
    )
    name = forms.CharField(label="Name", max_length=MAX_TEXT, required=False)
    description = forms.CharField(
        label="Description", max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    submission = SubmissionField()

    def __init__(self, *args, volumes: list[Volume], quota: QuotaUsage | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.volumes = {volume.id: volume for volume in volumes}
        self.quota = quota  # what a backup counts against (the seed's API has no backup quota)
        self.fields["volume_id"].choices = [("", "Choose a volume")] + [
            (volume.id, volume_choice_label(volume)) for volume in volumes
        ]

    def clean_container(self) -> str:
        container = self.cleaned_data["container"].strip()
        if "/" in container:
            raise forms.ValidationError("A container name cannot contain “/”.")
        return container

    def clean(self) -> dict:
        data = super().clean()
        volume = self.volumes.get(data.get("volume_id", ""))
        if volume is None:
            return data
        data["volume"] = volume
        if volume.status == "in-use":
            self.add_error(
                "volume_id",
                "This volume is attached to a server: only an available volume can be backed up. "
                "Detach it first (from its server's page), then back it up.",
            )
        elif volume.status == "backing-up":
            self.add_error("volume_id", "This volume is being backed up already: wait until it is available.")
        elif volume.status != "available":
            self.add_error(
                "volume_id",
                f"This volume is {status_info(volume.status).label.lower()}: only an available volume "
                "can be backed up.",
            )
        if self.quota is not None:
            count, gigabytes = self.quota.count, self.quota.gigabytes
            if not count.fits(1):
                self.add_error(
                    None,
                    f"The project already has {count.used} of its {count.limit} {count.noun}: delete one "
                    "or ask for more quota before backing up.",
                )
            if not gigabytes.fits(volume.size):
                self.add_error(
                    None,
                    f"A backup of this volume takes up to {volume.size} GB and only {gigabytes.remaining} GB "
                    f"of the project's {gigabytes.noun} are left.",
                )
        return data


class BackupRestoreForm(forms.Form):
    target = forms.ChoiceField(
        label="Restore into",
        choices=[(NEW, "A new volume"), (EXISTING, "An existing volume (overwritten)")],
        widget=forms.RadioSelect,
        initial=NEW,
    )
    volume_id = forms.CharField(label="Volume", required=False, max_length=64)
    confirm = forms.CharField(label="Type the volume's name to confirm", required=False, max_length=MAX_TEXT)
    submission = SubmissionField()

    def __init__(self, *args, backup: Backup, volumes: list[Volume], quota: QuotaUsage, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.backup = backup
        self.volumes = {volume.id: volume for volume in volumes}
        self.quota = quota

    def clean(self) -> dict:
        data = super().clean()
        if data.get("target") == EXISTING:
            self._clean_existing(data)
        elif data.get("target") == NEW:
            self._clean_new()
        return data

    def _clean_existing(self, data: dict) -> None:
        volume_id = data.get("volume_id") or ""
        volume = self.volumes.get(volume_id)
        if not volume_id:
            self.add_error("volume_id", "Choose the volume to restore into.")
            return
        if volume is None:
            self.add_error("volume_id", "There is no such volume in this project: choose one of the list.")
            return
        refusal = restore_refusal(backup=self.backup, volume=volume)
        if refusal:
            self.add_error("volume_id", refusal)
            return
        expected = volume.display_name or volume.id
        if (data.get("confirm") or "").strip() != expected:
            what = "name" if volume.display_name else "id (it has no name)"
            self.add_error(
                "confirm",
                f"Type the volume's {what} exactly, “{expected}”, to confirm that everything on it "
                "will be overwritten by the backup.",
            )
            return
        data["volume"] = volume

    def _clean_new(self) -> None:
        size = self.backup.size or 0
        if not self.quota.count.fits(1):
            self.add_error(
                None,
                f"A new volume does not fit: the project already uses {self.quota.count.used} of its "
                f"{self.quota.count.limit} {self.quota.count.noun}. Restore into an existing volume, or free "
                "some quota.",
            )
        if not self.quota.gigabytes.fits(size):
            self.add_error(
                None,
                f"A new volume of {size} GB does not fit: only {self.quota.gigabytes.remaining} GB of the "
                "project's quota are left. Restore into an existing volume, or free some quota.",
            )
