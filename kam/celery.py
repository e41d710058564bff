"""The Celery app: configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.local")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The worker's heartbeat for /health/ (kam/health.py), from the main worker process.
_heartbeat_stop = None


@worker_ready.connect
def _start_heartbeat(sender, **kwargs):
    import threading

    from kam import health

    global _heartbeat_stop
    _heartbeat_stop = threading.Event()
    threading.Thread(
        target=health.heartbeat_forever,
        args=(sender.hostname, _heartbeat_stop),
        daemon=True,
        name="heartbeat",
    ).start()


@worker_shutdown.connect
def _stop_heartbeat(sender, **kwargs):
    from kam import health

    if _heartbeat_stop is not None:
        _heartbeat_stop.set()
        health.heartbeat_stop(sender.hostname)
