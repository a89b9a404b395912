"""What every page's navigation needs of the user's roles, worked out only when a page uses it."""

from functools import cached_property

from django.http import HttpRequest
from django.utils import timezone

from network import todo
from partners.models import Organization


class Navigation:
    """The user's places (`network.todo.Work`), the things waiting for them, and the organization they
    report for in the network of the page they are on."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def work(self) -> todo.Work:
        return todo.work_of(user=self.request.user, today=timezone.localdate())

    @cached_property
    def actions(self) -> int:
        return todo.actions_waiting(self.work)

    @cached_property
    def own_organization(self) -> Organization | None:
        """The organization the user is partner staff of in the page's network, if one."""
        match = self.request.resolver_match
        slug = match.kwargs.get("slug") if match else None
        found = [m for m in self.work.partnerships if m.network.slug == slug]
        return found[0].organization if found else None


def navigation(request: HttpRequest) -> dict[str, object]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"nav": Navigation(request)}
