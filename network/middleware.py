"""Values in a page's address that no database takes, refused as "no such page" before any view runs."""

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from core.ids import LARGEST_ID


class AddressValuesMiddleware:
    """A 404 for an id in the address larger than any row's (``<int:...>`` takes any number of digits,
    and SQLite raises OverflowError on a lookup by foreign key with one) and for a NUL character in
    it (PostgreSQL refuses NUL in a query), whichever view the address leads to."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and value > LARGEST_ID:
                raise Http404("No such page.")
            if isinstance(value, str) and "\x00" in value:
                raise Http404("No such page.")
