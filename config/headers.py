"""Security headers beyond Django's own: Permissions-Policy, and the Content-Security-Policy with the one
loosening a page may need."""

from collections.abc import Callable

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

PLOTLY = b"/vendor/plotly/plotly"


class PermissionsPolicyMiddleware:
    """Sends ``Permissions-Policy`` (settings.PERMISSIONS_POLICY): browser features no page uses are off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (settings.CONTENT_SECURITY_POLICY), and on a page that loads plotly.js,
    ``style-src 'unsafe-inline'``: plotly adds ``<style>`` elements of its own (hover labels, the mode
    bar; their rules made in the browser, some per chart) and sets style attributes on the county map,
    none of which can carry a nonce. Scripts stay as strict there as everywhere."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and PLOTLY in response.content
        ):
            parts.update = {**(parts.update or {}), "style-src": [UNSAFE_INLINE]}
        return parts
