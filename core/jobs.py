"""Queue a Celery task by its name.

Services name the task they queue rather than import it: an app's tasks import its services, so the
imports stay one-way. Each app's `ready()` imports its tasks, which registers them in every process
(web and worker); an unknown name fails loudly with a KeyError."""

from celery import current_app
from django.db import transaction


def send(task: str, *args: object) -> None:
    """Send the task now (run at once on the embedded default, where Celery is eager)."""
    current_app.tasks[task].delay(*args)


def send_on_commit(task: str, *args: object) -> None:
    """Send the task once the current transaction commits; robust, so a broker that is down fails
    nothing here (each queued job has a sweep or a daily run that picks up what was lost)."""

    def send_it() -> None:
        send(task, *args)

    send_it.task = task  # type: ignore[attr-defined]  # which task, for a test to tell
    transaction.on_commit(send_it, robust=True)
