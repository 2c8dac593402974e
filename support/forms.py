"""The support search form: a request id and filters, all optional, all checked before any query."""

from __future__ import annotations

import re

from django import forms

from support.models import ApiCall
from support.selectors import MIN_PREFIX, CallFilters, request_id_core, request_id_normalise

# Request ids are made of letters, digits and a little punctuation ("req-<uuid>", 32 hex digits).
_REQUEST_ID_CHARS = re.compile(r"^[a-z0-9._:-]+$")
REQUEST_ID_MAX = 128
TEXT_MAX = 255

STATUS_CHOICES = [
    ("", "Any status"),
    ("2xx", "2xx success"),
    ("4xx", "4xx client error"),
    ("5xx", "5xx server error"),
    ("none", "No response"),
]
METHOD_CHOICES = [("", "Any method"), *((m, m) for m in ("GET", "POST", "PUT", "DELETE"))]
SERVICE_CHOICES = [("", "Any service"), *ApiCall.Service.choices]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def _text(label: str, help_text: str = "", max_length: int = TEXT_MAX) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=help_text,
        widget=forms.TextInput(attrs={"maxlength": max_length, "autocomplete": "off", "spellcheck": "false"}),
    )


def _moment(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class CallSearchForm(forms.Form):
    q = forms.CharField(
        label="Request id",
        required=False,
        # Longer input is refused with a message (the browser also stops at maxlength).
        max_length=REQUEST_ID_MAX,
        help_text=f"The whole id, or its first {MIN_PREFIX} characters or more; with or without req-.",
        widget=forms.TextInput(
            attrs={
                "maxlength": REQUEST_ID_MAX,
                "placeholder": "req-1a2b3c4d-…",
                "autocomplete": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
        error_messages={"max_length": "A request id has at most %(limit_value)d characters."},
    )
    project = _text("Project", "Project id or name")
    user = _text("User", "User id or name")
    region = _text("Region", max_length=64)
    status_class = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    method = forms.ChoiceField(label="Method", required=False, choices=METHOD_CHOICES)
    service = forms.ChoiceField(label="Service", required=False, choices=SERVICE_CHOICES)
    resource_id = _text("Resource id", max_length=128)
    since = _moment("From (UTC)")
    until = _moment("To (UTC)")

    def clean_q(self) -> str:
        value = request_id_normalise(self.cleaned_data["q"])
        if not value:
            return ""
        if not _REQUEST_ID_CHARS.match(value):
            raise forms.ValidationError(
                "A request id has only letters, digits and dashes, like req-1a2b3c4d-5e6f-…"
            )
        if len(request_id_core(value)) < MIN_PREFIX:
            raise forms.ValidationError(
                f"Type at least {MIN_PREFIX} characters of the id (not counting req-), "
                "so the search finds the call you mean."
            )
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the time range is before its start.")
        return cleaned

    def filters(self) -> CallFilters:
        """The search this valid form asks for."""
        data = self.cleaned_data
        return CallFilters(
            q=data["q"],
            project=data["project"],
            user=data["user"],
            region=data["region"],
            status_class=data["status_class"],
            method=data["method"],
            service=data["service"],
            resource_id=data["resource_id"],
            since=data["since"],
            until=data["until"],
        )
