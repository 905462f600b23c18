from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People: staff and customers"

    def ready(self) -> None:
        from people import signals  # noqa: F401 — connects the receivers
