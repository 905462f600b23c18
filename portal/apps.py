from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The project itself: template filters, management commands and the sign-in receiver."""

    name = "portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal.middleware import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="portal.preference_on_sign_in")
