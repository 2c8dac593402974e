from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from support.access import support_access_on_login

        def grant_at_login(sender, request, user, **kwargs) -> None:
            support_access_on_login(user)

        user_logged_in.connect(grant_at_login, dispatch_uid="support-access-at-login", weak=False)
