"""The translation catalogues: compiled without GNU gettext, checked for strings nobody translated
(bin/check-translations, run in CI), and the committed French catalogue complete."""

import os
import shutil
import stat
from pathlib import Path

import polib
import pytest
from django.conf import settings

from portal.catalogues import Missing, compile_catalogues, missing_translations

FRENCH_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"

needs_gettext = pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="GNU gettext's xgettext is not on the PATH (Debian: apt-get install gettext); CI installs it",
)


def _catalogue(path: Path, entries: dict[str, str], *, fuzzy: tuple[str, ...] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "fr",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    for msgid, msgstr in entries.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr, flags=["fuzzy"] if msgid in fuzzy else []))
    po.save(str(path))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project tree of one template and one module, with a French catalogue that knows one string."""
    root = tmp_path / "project"
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "crossing.html").write_text(
        '{% load i18n %}<p>{% translate "Zebra crossing" %}</p><p>{% translate "Traffic lights" %}</p>\n',
        encoding="utf-8",
    )
    (root / "signs.py").write_text(
        'from django.utils.translation import gettext as _\n\nSTOP = _("Stop sign")\n', encoding="utf-8"
    )
    _catalogue(
        root / "locale" / "fr" / "LC_MESSAGES" / "django.po",
        {"Traffic lights": "Feux de circulation", "Stop sign": "Panneau stop"},
    )
    return root


@needs_gettext
def test_the_check_reports_a_new_untranslated_string_and_leaves_the_catalogue_as_it_was(project: Path) -> None:
    catalogue = project / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    before = catalogue.read_bytes()
    missing = missing_translations(project, "fr")
    assert missing == [Missing(msgid="Zebra crossing", context=None, fuzzy=False)]
    assert str(missing[0]) == "untranslated: 'Zebra crossing'"
    assert catalogue.read_bytes() == before


@needs_gettext
def test_the_check_reports_fuzzy_translations(project: Path) -> None:
    _catalogue(
        project / "locale" / "fr" / "LC_MESSAGES" / "django.po",
        {"Zebra crossing": "Passage piéton", "Traffic lights": "Feux", "Stop sign": "Panneau stop"},
        fuzzy=("Traffic lights",),
    )
    assert missing_translations(project, "fr") == [Missing(msgid="Traffic lights", context=None, fuzzy=True)]


@needs_gettext
def test_the_check_passes_when_every_string_is_translated(project: Path) -> None:
    _catalogue(
        project / "locale" / "fr" / "LC_MESSAGES" / "django.po",
        {"Zebra crossing": "Passage piéton", "Traffic lights": "Feux de circulation", "Stop sign": "Panneau stop"},
    )
    assert missing_translations(project, "fr") == []


@needs_gettext
def test_without_a_catalogue_every_string_is_missing_and_none_is_left_behind(project: Path) -> None:
    catalogue = project / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    catalogue.unlink()
    assert {entry.msgid for entry in missing_translations(project, "fr")} == {
        "Zebra crossing",
        "Traffic lights",
        "Stop sign",
    }
    assert not catalogue.exists()


def test_compiling_writes_missing_or_stale_catalogues_only(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    po_path = locale / "fr" / "LC_MESSAGES" / "django.po"
    _catalogue(po_path, {"Zebra crossing": "Passage piéton", "Traffic lights": "Feux"}, fuzzy=("Traffic lights",))
    mo_path = po_path.with_suffix(".mo")

    assert compile_catalogues([locale]) == [mo_path]
    probe = tmp_path / "probe"
    probe.write_text("", encoding="utf-8")
    # As readable as any file written here: a web server running as another user can read it.
    assert stat.S_IMODE(mo_path.stat().st_mode) == stat.S_IMODE(probe.stat().st_mode)
    compiled = polib.mofile(str(mo_path))
    assert {entry.msgid: entry.msgstr for entry in compiled} == {"Zebra crossing": "Passage piéton"}

    assert compile_catalogues([locale]) == []  # up to date
    older = po_path.stat().st_mtime - 60
    os.utime(mo_path, (older, older))
    assert compile_catalogues([locale]) == [mo_path]
    assert compile_catalogues([locale], force=True) == [mo_path]
    assert sorted(path.name for path in po_path.parent.iterdir()) == ["django.mo", "django.po"]


def test_the_committed_french_catalogue_is_complete() -> None:
    if not FRENCH_CATALOGUE.exists():
        pytest.skip("locale/fr/LC_MESSAGES/django.po is not there yet")
    catalogue = polib.pofile(str(FRENCH_CATALOGUE))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated in {FRENCH_CATALOGUE}, first: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {FRENCH_CATALOGUE}, first: {fuzzy[:10]}"
