"""CloudBackend: a local Django user for each cloud user.

The cloud checks the password; the console only keeps a local user so that `login_required`,
groups and permissions (support staff) work. The local username is the cloud user id (stable and
unique); the cloud user name is kept in `first_name` for display. Local users of the cloud have no
usable password: they can only come in through Identity.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from console.api.identity import AuthResult


class CloudBackend(ModelBackend):
    """Authenticates a login Identity has already accepted: `authenticate(request, cloud_auth=result)`.

    The view calls Identity itself (so it can tell wrong credentials from an unreachable cloud) and
    hands the AuthResult over. Credentials of any other shape are not ours: ModelBackend, listed
    after this backend, handles the admin site's username and password.
    """

    @sensitive_variables("cloud_auth")
    def authenticate(
        self, request: HttpRequest | None, cloud_auth: AuthResult | None = None, **kwargs: object
    ) -> AbstractBaseUser | None:
        if cloud_auth is None or kwargs:
            return None
        user_model = get_user_model()
        # The unusable password goes in with the INSERT: setting it afterwards would change the
        # session hash of a concurrent first login of the same user and silently log that one out.
        user, created = user_model.objects.get_or_create(
            username=cloud_auth.user_id,
            defaults={"first_name": cloud_auth.user_name[:150], "password": make_password(None)},
        )
        if not created and user.first_name != cloud_auth.user_name[:150]:
            user.first_name = cloud_auth.user_name[:150]
            user.save(update_fields=["first_name"])
        if not self.user_can_authenticate(user):
            return None
        return user
