"""Forms of the console frame: the two logins, the project switcher and the region switcher."""

from __future__ import annotations

from django import forms

from console.api.identity import DEFAULT_DOMAIN_NAME


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
    user_domain = forms.CharField(
        label="User domain",
        max_length=255,
        required=False,
        initial=DEFAULT_DOMAIN_NAME,
        help_text="The Identity domain of your user; most clouds have only “Default”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    project_domain = forms.CharField(
        label="Project domain",
        max_length=255,
        required=False,
        initial=DEFAULT_DOMAIN_NAME,
        help_text="The Identity domain of the project.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_user_domain(self) -> str:
        return self.cleaned_data["user_domain"].strip() or DEFAULT_DOMAIN_NAME

    def clean_project_domain(self) -> str:
        return self.cleaned_data["project_domain"].strip() or DEFAULT_DOMAIN_NAME


class ApplicationCredentialForm(forms.Form):
    """The second way in: an application credential (made with `openstack application credential
    create`), whose token is bound to the credential's project and roles."""

    credential_id = forms.CharField(
        label="Application credential id",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label="Secret",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProjectForm(forms.Form):
    """The project switcher: one of the user's projects, by id."""

    project_id = forms.ChoiceField(label="Project")

    def __init__(self, *args: object, projects: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project_id"].choices = projects


class RegionForm(forms.Form):
    region = forms.ChoiceField(label="Region")
    # The page to return to is read by the view through session.safe_next, not validated here: an
    # odd `next` must never make a valid region choice fail.

    def __init__(self, *args: object, regions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(region, region) for region in regions]
