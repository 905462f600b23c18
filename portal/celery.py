"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from portal.task_request_id import clear_request_id, put_request_id_in_headers, restore_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# weak=False: the receivers are module functions, kept for the life of the process anyway.
before_task_publish.connect(put_request_id_in_headers, weak=False)
task_prerun.connect(restore_request_id, weak=False)
task_postrun.connect(clear_request_id, weak=False)


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender: Celery, **kwargs: object) -> None:
    """kombu's file-system transport expects its folders to exist."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
