"""The environment switches of a deployment on many machines: uploaded files in a private S3
bucket, Django's PostgreSQL connection pool or PgBouncer, hashed static file names."""

import pytest

from tests.ops.settings_probe import PRODUCTION, SettingsRefused, load_settings, run_python

POSTGRES = {"DATABASE_URL": "postgres://steward:secret@db.internal:5432/steward"}
S3 = {
    "STORAGE_BUCKET": "steward-files",
    "STORAGE_ENDPOINT_URL": "https://s3.example.net",
    "STORAGE_REGION": "fr-par",
    "STORAGE_ACCESS_KEY_ID": "AKEXAMPLE",
    "STORAGE_SECRET_ACCESS_KEY": "secret-example",
}


def test_files_are_on_the_local_disk_by_default() -> None:
    loaded = load_settings({}, "STORAGES")
    assert loaded["STORAGES"]["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


@pytest.mark.parametrize("variable", ["STORAGE_BUCKET", "AWS_STORAGE_BUCKET_NAME"])
def test_a_bucket_name_moves_files_to_a_private_s3_bucket(variable: str) -> None:
    env = {**S3, "STORAGE_BUCKET": ""} | {variable: "steward-files"}
    default = load_settings(env, "STORAGES")["STORAGES"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "steward-files"
    assert (options["endpoint_url"], options["region_name"]) == ("https://s3.example.net", "fr-par")
    assert (options["access_key"], options["secret_key"]) == ("AKEXAMPLE", "secret-example")
    # Private objects; any URL made for one is signed and expires within minutes.
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert 0 < options["querystring_expire"] <= 300
    assert options["file_overwrite"] is False


def test_the_s3_backend_is_built_from_those_settings_without_reaching_the_bucket() -> None:
    """The storage object is made (django-storages and boto3 installed, options accepted) and
    signs its URLs with the short expiry; signing needs no request to the bucket."""
    code = (
        "import django; django.setup()\n"
        "from django.core.files.storage import storages\n"
        "storage = storages['default']\n"
        "print(type(storage).__name__, storage.url('attachments/leak.png'))\n"
    )
    backend, url = run_python(S3, code).split()
    assert backend == "S3Storage"
    assert url.startswith("https://s3.example.net/steward-files/attachments/leak.png?")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url


def test_no_pool_by_default_and_postgresql_gives_up_connecting_quickly() -> None:
    database = load_settings(POSTGRES, "DATABASES")["DATABASES"]["default"]
    assert "pool" not in database["OPTIONS"]
    assert database["OPTIONS"]["connect_timeout"] == 5
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_the_pool_turns_persistent_connections_off_and_takes_its_sizes() -> None:
    env = {**PRODUCTION, **POSTGRES, "DATABASE_POOL": "true", "DATABASE_POOL_MIN_SIZE": "2"}
    env["DATABASE_POOL_MAX_SIZE"] = "8"
    database = load_settings(env, "DATABASES")["DATABASES"]["default"]
    assert database["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 10}
    assert database["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections


def test_the_pool_needs_postgresql() -> None:
    with pytest.raises(SettingsRefused, match="DATABASE_POOL needs a PostgreSQL DATABASE_URL"):
        load_settings({"DATABASE_POOL": "true"}, "DATABASES")


def test_behind_pgbouncer_server_side_cursors_are_off() -> None:
    env = {**POSTGRES, "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true"}
    assert load_settings(env, "DATABASES")["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_production_serves_static_files_under_hashed_names() -> None:
    loaded = load_settings(PRODUCTION, "STORAGES", "WHITENOISE_USE_FINDERS", "MEDIA_ROOT", "STATIC_ROOT")
    assert loaded["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert loaded["WHITENOISE_USE_FINDERS"] is False
    # WhiteNoise serves STATIC_ROOT only: uploaded files must never sit inside it.
    assert not loaded["MEDIA_ROOT"].startswith(loaded["STATIC_ROOT"])
