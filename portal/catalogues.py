"""The translation catalogues: compiled with Python alone, and checked for strings nobody translated.

Compiling uses polib, so a fresh machine with nothing but Python can run bin/setup. Checking runs
Django's makemessages (GNU gettext's xgettext) over the project, which is what finds a string
newly marked in a template or a module; it needs the `gettext` package, as CI installs it.
"""

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polib
from django.core.management import call_command
from django.test import override_settings


def compile_catalogues(locale_dirs: Iterable[Path], *, force: bool = False) -> list[Path]:
    """Write LANG/LC_MESSAGES/DOMAIN.mo beside every .po under the given locale folders, when the
    .mo is missing or older than its .po (always with `force`). Returns the .mo files written."""
    written: list[Path] = []
    for locale_dir in locale_dirs:
        for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            # Written beside and renamed: a web server starting meanwhile never reads half a file.
            partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
            try:
                polib.pofile(str(po_path)).save_as_mofile(str(partial))
                os.replace(partial, mo_path)
            finally:
                partial.unlink(missing_ok=True)
            written.append(mo_path)
    return written


@dataclass(frozen=True)
class Missing:
    """A string of the project without a usable translation in the catalogue."""

    msgid: str
    context: str | None
    fuzzy: bool

    def __str__(self) -> str:
        state = "fuzzy" if self.fuzzy else "untranslated"
        context = f" [context: {self.context}]" if self.context else ""
        return f"{state}: {self.msgid!r}{context}"


def missing_translations(root: Path, language: str) -> list[Missing]:
    """Every string marked for translation in the project under `root` that the catalogue
    root/locale/LANGUAGE/LC_MESSAGES/django.po leaves untranslated or fuzzy.

    makemessages merges the project's strings into the catalogue in place, so the catalogue is
    copied aside first and put back afterwards, byte for byte, whatever happens.
    """
    locale_dir = root / "locale"
    catalogue = locale_dir / language / "LC_MESSAGES" / "django.po"
    with tempfile.TemporaryDirectory() as aside:
        backup = Path(aside) / "django.po"
        existed = catalogue.exists()
        if existed:
            shutil.copy2(catalogue, backup)
        try:
            with contextlib.chdir(root), override_settings(LOCALE_PATHS=[locale_dir]):
                call_command(
                    "makemessages",
                    locale=[language],
                    no_obsolete=True,
                    no_location=True,
                    verbosity=0,
                    stdout=io.StringIO(),
                )
            merged = polib.pofile(str(catalogue))
        finally:
            if existed:
                shutil.copy2(backup, catalogue)
            else:
                catalogue.unlink(missing_ok=True)
    return [
        Missing(msgid=entry.msgid, context=entry.msgctxt, fuzzy=entry.fuzzy)
        for entry in merged
        if not entry.obsolete and (entry.fuzzy or not entry.translated())
    ]
