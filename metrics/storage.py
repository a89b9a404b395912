"""Uploaded files kept in the database until they are read: what every web process and every Celery
worker can open, on any machine, with nothing but PostgreSQL to share.

A partner's large file is stored by the web process that took it and read by whichever worker takes
its job; a file on the web machine's disk would be out of that worker's reach once web and workers run
on separate machines. Files are transient (deleted once read, `metrics.uploads`) and bounded by
``REPORT_UPLOAD_MAX_BYTES``, so a table is enough; a deployment that keeps them in an object store
instead sets ``UPLOAD_STORAGE`` to django-storages' backend for it.
"""

import datetime
import io
from typing import IO, Any

from django.core.files.base import File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

from metrics.models import StoredFile


@deconstructible(path="metrics.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    """Django's storage API over `StoredFile` rows: a file's name, its bytes and when it was stored."""

    def _open(self, name: str, mode: str = "rb") -> File:
        content = StoredFile.objects.filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(name)
        return File(io.BytesIO(bytes(content)), name=name)

    def _save(self, name: str, content: IO[Any]) -> str:
        data = b"".join(
            chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in File(content).chunks()
        )
        StoredFile.objects.create(name=name, content=data, size=len(data))
        return name

    def exists(self, name: str) -> bool:
        return StoredFile.objects.filter(name=name).exists()

    def delete(self, name: str) -> None:
        StoredFile.objects.filter(name=name).delete()

    def size(self, name: str) -> int:
        size = StoredFile.objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = f"{path.rstrip('/')}/" if path else ""
        folders, files = set(), []
        for name in StoredFile.objects.filter(name__startswith=prefix).values_list("name", flat=True):
            rest = name[len(prefix) :]
            if "/" in rest:
                folders.add(rest.split("/", 1)[0])
            else:
                files.append(rest)
        return sorted(folders), sorted(files)

    def get_modified_time(self, name: str) -> datetime.datetime:
        stored = StoredFile.objects.filter(name=name).values_list("stored_at", flat=True).first()
        if stored is None:
            raise FileNotFoundError(name)
        return stored

    get_created_time = get_modified_time

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Uploaded files are never served: they are read, then deleted.")
