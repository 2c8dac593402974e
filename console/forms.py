"""Forms of the console frame: the login and the region switcher."""

from __future__ import annotations

from django import forms


class LoginForm(forms.Form):
    username = forms.CharField(
        label="User name", max_length=255, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label="Password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    project = forms.CharField(
        label="Project",
        max_length=255,
        # Empty: a console account of the support staff (console.views.login_view).
        required=False,
        help_text="The project's name or id. Support staff with a console account leave it empty.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )


class RegionForm(forms.Form):
    region = forms.ChoiceField(label="Region")
    # The page to return to is read by the view through session.safe_next, not validated here: an
    # odd `next` must never make a valid region choice fail.

    def __init__(self, *args: object, regions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(region, region) for region in regions]
