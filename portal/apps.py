from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The project itself: template filters, management commands and the sign-in receiver; the search
    indexes put back after a migrate."""

    name = "portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from portal.fulltext import on_post_migrate
        from portal.middleware import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="portal.preference_on_sign_in")
        # A table rebuilt by a later migration on SQLite loses the search triggers and indexes.
        post_migrate.connect(on_post_migrate, dispatch_uid="portal.search_indexes_after_migrate")
