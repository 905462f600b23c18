"""manage.py compile_catalogues: the translation catalogues (.po) compiled to .mo, without GNU gettext."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from portal.catalogues import compile_catalogues


class Command(BaseCommand):
    help = "Compile every locale/*/LC_MESSAGES/*.po whose .mo is missing or older (bin/setup runs it)."
    # It runs before the database exists (bin/setup), and needs nothing the checks look at.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Compile every catalogue, even up-to-date ones.")

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        base = Path(settings.BASE_DIR)
        for mo_path in compile_catalogues([Path(path) for path in settings.LOCALE_PATHS], force=force):
            self.stdout.write(f"Compiled {mo_path.relative_to(base) if mo_path.is_relative_to(base) else mo_path}")
