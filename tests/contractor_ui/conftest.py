"""Fixtures for the contractor pages: signed-in clients and photos the upload checks accept
(or refuse)."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

# The smallest files the upload checks take for a PNG and a JPEG photo.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"\x00" * 64


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tech_client(contractor_user: User) -> Client:
    return signed_in(contractor_user)


@pytest.fixture
def other_tech_client(other_contractor_user: User) -> Client:
    return signed_in(other_contractor_user)


@pytest.fixture
def owner_client(owner: User) -> Client:
    return signed_in(owner)


@pytest.fixture
def photo() -> Callable[..., SimpleUploadedFile]:
    """A fresh upload each call: a file is consumed by the request that sends it."""

    def make(name: str = "pipe.png", content: bytes = PNG, content_type: str = "image/png") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, content, content_type=content_type)

    return make
