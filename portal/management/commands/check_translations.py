"""manage.py check_translations: fails when a string marked for translation has no translation.

bin/check-translations (and CI) run it. It needs GNU gettext (Debian's `gettext` package).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.catalogues import missing_translations


class Command(BaseCommand):
    help = (
        "Run makemessages on a copy of each catalogue and list every string that is untranslated or fuzzy; "
        "exit with an error when there is one."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        targets = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        parser.add_argument(
            "-l",
            "--locale",
            action="append",
            dest="languages",
            help=f"A language to check (repeat for more); every translated language by default: {', '.join(targets)}.",
        )

    def handle(self, *args: object, languages: list[str] | None = None, **options: object) -> None:
        languages = languages or [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        root = Path(settings.BASE_DIR)
        failures = 0
        for language in languages:
            missing = missing_translations(root, language)
            if missing:
                failures += len(missing)
                self.stderr.write(f"locale/{language}/LC_MESSAGES/django.po: {len(missing)} to translate")
                for entry in missing:
                    self.stderr.write(f"  {entry}")
            else:
                self.stdout.write(f"locale/{language}/LC_MESSAGES/django.po: every string is translated")
        if failures:
            raise CommandError(f"{failures} strings have no translation (or only a fuzzy one): translate them.")
