"""plotly.js served from the installed plotly package, so the library that builds the figures on the
server and the one that draws them in the browser are always the same version (no vendored copy)."""

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

FOLDER = Path(plotly.__file__).parent / "package_data"
NAME = "plotly.min.js"
PREFIX = "vendor/plotly"


class PlotlyFinder(BaseFinder):
    """Finds `vendor/plotly/plotly.min.js` in the plotly package, and nothing else of it."""

    def check(self, **kwargs: Any) -> list:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        if path != f"{PREFIX}/{NAME}":
            return [] if find_all else ""
        found = str(FOLDER / NAME)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any):
        storage = FileSystemStorage(location=FOLDER)
        storage.prefix = PREFIX  # collectstatic puts the file under this path
        yield NAME, storage
