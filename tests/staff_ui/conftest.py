"""Fixtures for the staff pages: signed-in clients for each member of the cast, and the
fibre story."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.staff_ui.story import FibreStory, build_fibre_story


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner: User) -> Client:
    return signed_in(owner)


@pytest.fixture
def fibre(case, job, owner, contractor_user) -> FibreStory:
    return build_fibre_story(case=case, job=job, owner=owner, contractor_user=contractor_user)


@pytest.fixture
def translations_asked(monkeypatch) -> list[str]:
    """Every message the code asks gettext for from here on (the pages that translate their
    fixed words once per page, not once per row, are measured with it)."""
    from django.utils import translation

    translation.gettext("Case")  # Trans binds its gettext on first use.
    asked: list[str] = []
    real = translation._trans.gettext

    def counted(message: str) -> str:
        asked.append(message)
        return real(message)

    monkeypatch.setattr(translation._trans, "gettext", counted)
    return asked
