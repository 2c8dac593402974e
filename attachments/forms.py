"""Forms of the servers section. They check the spec's attach rules against the shared listings
before any API call is spent; the API's own answer is still shown when it disagrees."""

from __future__ import annotations

import re

from django import forms

from attachments.selectors import ServersInventory, attach_problem
from console.api import Server, Volume

# The device is advisory only (spec 4.5.5.2); accept only plausible Linux disk names, or nothing.
DEVICE_PATTERN = re.compile(r"/dev/(?:vd|sd)[a-z]{1,3}")
DEVICE_HELP = (
    "Optional and advisory only: the guest names its disks itself, from /dev/vdc upward, whatever "
    "you ask for. Inside the guest use the volume's guest path (/dev/disk/by-id/virtio-...) instead."
)
DEVICE_INVALID = "Enter a device like /dev/vdc or /dev/sdb (letters only after vd or sd), or leave it empty."


def _device_field() -> forms.CharField:
    return forms.CharField(
        label="Device (advisory)",
        required=False,
        max_length=16,
        help_text=DEVICE_HELP,
        error_messages={"max_length": DEVICE_INVALID},
        widget=forms.TextInput(attrs={"placeholder": "/dev/vdc", "autocomplete": "off"}),
    )


def _clean_device(value: str) -> str:
    value = value.strip()
    if value and not DEVICE_PATTERN.fullmatch(value):
        raise forms.ValidationError(DEVICE_INVALID)
    return value


class VolumeToServerForm(forms.Form):
    """On a server's page: pick a volume to attach to it."""

    volume_id = forms.CharField(label="Volume", max_length=64, widget=forms.Select)
    device = _device_field()

    def __init__(self, *args, inventory: ServersInventory, server: Server, choices: list[Volume], **kwargs):
        super().__init__(*args, **kwargs)
        self.inventory = inventory
        self.server = server
        self.fields["volume_id"].widget.choices = [
            (v.id, f"{v.name} ({v.size} GB, {v.availability_zone})") for v in choices
        ]
        self.volume: Volume | None = None

    def clean_volume_id(self) -> str:
        volume_id = self.cleaned_data["volume_id"]
        volume = self.inventory.volume(volume_id)
        if volume is None:
            raise forms.ValidationError("There is no such volume in this project and region.")
        problem = attach_problem(inventory=self.inventory, volume=volume, server=self.server)
        if problem:
            raise forms.ValidationError(problem)
        self.volume = volume
        return volume_id

    def clean_device(self) -> str:
        return _clean_device(self.cleaned_data["device"])


class ServerForVolumeForm(forms.Form):
    """For a volume: pick the server to attach it to."""

    server_id = forms.CharField(label="Server", max_length=64, widget=forms.Select)
    device = _device_field()

    def __init__(self, *args, inventory: ServersInventory, volume: Volume, choices: list[Server], **kwargs):
        super().__init__(*args, **kwargs)
        self.inventory = inventory
        self.volume = volume
        self.fields["server_id"].widget.choices = [
            (s.id, f"{s.name} ({s.availability_zone})") for s in choices
        ]
        self.server: Server | None = None

    def clean_server_id(self) -> str:
        server_id = self.cleaned_data["server_id"]
        server = self.inventory.server(server_id)
        if server is None:
            raise forms.ValidationError("There is no such server in this project and region.")
        problem = attach_problem(inventory=self.inventory, volume=self.volume, server=server)
        if problem:
            raise forms.ValidationError(problem)
        self.server = server
        return server_id

    def clean_device(self) -> str:
        return _clean_device(self.cleaned_data["device"])
