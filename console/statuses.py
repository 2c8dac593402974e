"""The status vocabulary of Block Storage (the spec's 4.5.2-4.5.5 and Cinder v3's) and how the
console shows it. One vocabulary serves every dialect: the seed's statuses are a subset of Cinder's.

A status is *transitional* while the cloud is working on the resource (the badge keeps polling)
and *terminal* otherwise (the badge stops polling). An unknown status (a status a newer cloud
invents) is neither: it is shown as it is, with a warning, and followed at the idle pace
(INVENTORY_IDLE_INTERVAL) so that its badge moves on when the cloud does, without polling fast for
something that may never change (console.live).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class StatusInfo:
    status: str
    label: str
    tone: str  # ok | busy | error | gone | unknown: drives the badge's colour and icon shape
    transitional: bool
    known: bool
    hint: str = ""  # what the user can do next, for error states


_TRANSITIONAL = {
    "creating": "Creating",
    "downloading": "Downloading image",
    "attaching": "Attaching",
    "detaching": "Detaching",
    "backing-up": "Backing up",
    "restoring-backup": "Restoring backup",
    "restoring": "Restoring",
    "deleting": "Deleting",
    # Cinder v3
    "reserved": "Reserved for attaching",
    "extending": "Extending",
    "retyping": "Changing type",
    "uploading": "Uploading to image",
    "managing": "Being taken over",
    "unmanaging": "Being released",
    "maintenance": "In maintenance",
    "updating": "Updating",
}
_OK = {"available": "Available", "in-use": "In use"}
# Settled, but not for good: the console does not poll them fast.
_WAITING = {
    "awaiting-transfer": (
        "Awaiting transfer",
        "A transfer of this volume to another project is open: it waits for that project to accept it, "
        "or for the transfer to be deleted.",
    ),
}
_ERROR = {
    "error": ("Error", "The cloud could not complete the operation. Delete the resource and try again."),
    "error_attaching": (
        "Error attaching",
        "The volume could not be attached. It cannot be attached again from this state: "
        "delete it, or ask support to reset its status.",
    ),
    "error_detaching": (
        "Error detaching",
        "The volume could not be detached. Try detaching it again; if it persists contact support.",
    ),
    "error_restoring": (
        "Error restoring",
        "The backup could not be restored onto this volume. Its data may be incomplete: restore a good "
        "backup into it again, or delete it.",
    ),
    "error_deleting": ("Error deleting", "The cloud could not delete the resource. Try again."),
    # Cinder v3
    "error_backing-up": (
        "Error backing up",
        "The backup could not be written. The backup's page says why; ask support to reset the "
        "volume's status before backing it up again.",
    ),
    "error_extending": (
        "Error extending",
        "The volume could not be extended and keeps its former size. Ask support to reset its status "
        "before trying again.",
    ),
    "error_managing": (
        "Error taking over",
        "The cloud could not take this volume under its management. Ask support.",
    ),
}
DELETED = "deleted"


# A listing of 10,000 volumes asks this 20,000 times a refresh (what moves, what changed): the answers
# (frozen) are kept for the statuses seen.
@lru_cache(maxsize=1024)
def status_info(status: str | None) -> StatusInfo:
    value = (status or "").strip()
    key = value.lower()
    if key in _TRANSITIONAL:
        return StatusInfo(key, _TRANSITIONAL[key], "busy", transitional=True, known=True)
    if key in _OK:
        return StatusInfo(key, _OK[key], "ok", transitional=False, known=True)
    if key in _WAITING:
        label, hint = _WAITING[key]
        return StatusInfo(key, label, "ok", transitional=False, known=True, hint=hint)
    if key in _ERROR:
        label, hint = _ERROR[key]
        return StatusInfo(key, label, "error", transitional=False, known=True, hint=hint)
    if key == DELETED:
        return StatusInfo(key, "Deleted", "gone", transitional=False, known=True)
    return StatusInfo(value, value or "Unknown", "unknown", transitional=False, known=False)


def is_transitional(status: str | None) -> bool:
    return status_info(status).transitional


def is_followed(status: str | None) -> bool:
    """Whether a badge showing `status` keeps asking for news: transitional (fast) or unknown (slowly)."""
    info = status_info(status)
    return info.transitional or not info.known
