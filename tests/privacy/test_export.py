"""A customer's data export: every kind of record held about them and their files, nobody else's."""

import io
import json
import zipfile

import pytest
from django.contrib.admin.models import LogEntry

from cases.models import TimelineEvent
from cases.services.privacy import customer_data_export
from portal.errors import NotAllowed
from tests.privacy.conftest import NAME, OTHER_WRITTEN, POLICY, SURVEY, WRITTEN

# Kinds the story writes at least one row of (handoffs, cancellations and corrections it does not).
WRITTEN_KINDS = (
    "customer",
    "customer_versions",
    "sign_in",
    "delegates",
    "cases",
    "messages",
    "attachments",
    "timeline",
    "promises",
    "jobs",
    "job_prerequisites",
    "incidents",
    "job_photos",
    "claims",
    "sales",
    "surveys",
    "emails_in",
    "emails_out",
    "notices",
    "flags",
    "notifications",
)


def _open(archive: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(archive))


def _records(archive: zipfile.ZipFile, prefix: str) -> dict[str, list[dict]]:
    return {
        name.removeprefix(prefix).removesuffix(".json"): json.loads(archive.read(name))
        for name in archive.namelist()
        if name.startswith(prefix) and name.endswith(".json") and "/files/" not in name
    }


def test_the_export_holds_every_kind_of_record_and_the_files(story, administrator) -> None:
    customer = story.customer
    prefix = f"customer-{customer.pk}/"
    archive = _open(customer_data_export(actor=administrator, customers=[customer]))
    records = _records(archive, prefix)

    assert [kind for kind in WRITTEN_KINDS if not records.get(kind)] == []
    assert {row["pk"] for row in records["cases"]} == {story.open_case.pk, story.closed_case.pk}
    assert records["customer"][0]["fields"]["full_name"] == NAME
    assert any(WRITTEN in row["fields"]["body"] for row in records["messages"])
    assert records["claims"][0]["fields"]["policy_number"] == POLICY
    assert records["surveys"][0]["fields"]["comment"] == SURVEY
    # The sign-in without its password hash.
    assert set(records["sign_in"][0]["fields"]) == {
        "username", "first_name", "last_name", "email", "is_active", "last_login", "date_joined"
    }  # fmt: skip

    files = [name for name in archive.namelist() if name.startswith(f"{prefix}files/")]
    for kind in ("attachments", "job_photos", "emails_in"):
        assert any(name.startswith(f"{prefix}files/{kind}/") for name in files), kind
    photo = next(name for name in files if name.endswith("parquet.jpg"))
    assert archive.read(photo)[:3] == b"\xff\xd8\xff"
    raw = next(name for name in files if "/emails_in/" in name)
    assert WRITTEN.encode() in archive.read(raw)
    manifest = json.loads(archive.read(f"{prefix}manifest.json"))
    assert manifest["files_missing_from_storage"] == [] and len(manifest["files"]) == len(files)


def test_the_export_holds_nothing_of_another_customer(story, cast, administrator) -> None:
    archive = _open(customer_data_export(actor=administrator, customers=[story.customer]))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert WRITTEN.encode() in everything  # the search below can find a text
    assert OTHER_WRITTEN.encode() not in everything
    assert cast.other_customer.full_name.encode() not in everything
    assert cast.other_case.reference.encode() not in everything


def test_the_export_is_on_the_timeline_of_each_case_with_who_did_it(story, administrator) -> None:
    customer_data_export(actor=administrator, customers=[story.customer])
    for case in (story.open_case, story.closed_case):
        event = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.PRIVACY)
        assert event.actor == administrator
        assert "exported on request by admin" in event.summary
        assert not event.customer_visible


def test_staff_without_the_permission_cannot_export(story, cast) -> None:
    with pytest.raises(NotAllowed):
        customer_data_export(actor=cast.owner, customers=[story.customer])
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.PRIVACY).exists()
    assert not LogEntry.objects.exists()
