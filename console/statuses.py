"""The status vocabulary of the Block Storage API (spec 4.5.2-4.5.5) and how the console shows it.

A status is *transitional* while the cloud is working on the resource (the badge keeps polling)
and *terminal* otherwise (the badge stops polling). An unknown status is terminal too, shown with
a warning, so that a new status in the API never leaves a badge polling forever.
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
}
_OK = {"available": "Available", "in-use": "In use"}
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
    if key in _ERROR:
        label, hint = _ERROR[key]
        return StatusInfo(key, label, "error", transitional=False, known=True, hint=hint)
    if key == DELETED:
        return StatusInfo(key, "Deleted", "gone", transitional=False, known=True)
    return StatusInfo(value, value or "Unknown", "unknown", transitional=False, known=False)


def is_transitional(status: str | None) -> bool:
    return status_info(status).transitional
