from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from cases.demo.stories import Stories, load_stories


@pytest.fixture(autouse=True)
def _development_settings(settings: Settings) -> None:
    """The test runner turns DEBUG off; the demo loads on development settings, as `bin/start` runs it."""
    settings.DEBUG = True


@pytest.fixture(scope="module")
def loaded_stories(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Stories]:
    """The stories load once per module (about a second) and are rolled back after it; each
    test still runs in its own savepoint, so nothing one test does reaches the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_stories()
        transaction.set_rollback(True)


@pytest.fixture
def stories(loaded_stories: Stories, db: None) -> Stories:
    return loaded_stories


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the project's tables and of users, to prove a second run changes nothing."""
    models = [User, User.groups.through]
    for label in ("people", "cases", "contractors"):
        models.extend(apps.get_app_config(label).get_models(include_auto_created=True))
    return {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in models}
