"""Security headers on every answer: a Content-Security-Policy with no inline script but the page's
nonced one, and the others OWASP ASVS level 2 expects. That pages run under it: tests/test_browser_csp.py."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", [reverse("login"), reverse("api:schema"), reverse("admin:login")])
def test_every_answer_carries_the_security_headers(client, url):
    response = client.get(url)
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_api_docs_inline_script_and_style_carry_the_page_s_nonce(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    html = response.content.decode()
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "the docs page has its inline configuration"
    assert all(f'nonce="{nonce}"' in attributes for _, attributes in inline)


def test_a_page_without_inline_script_gets_no_nonce(client):
    assert "nonce-" not in client.get(reverse("login"))["Content-Security-Policy"]


def test_only_a_page_that_loads_plotly_may_apply_inline_styles(rf):
    from django.http import HttpResponse

    from config.headers import ContentSecurityPolicyMiddleware

    def answer(html: str):
        middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse(html))
        return directives(middleware(rf.get("/")))

    with_chart = answer('<script src="/static/vendor/plotly/plotly.min.js"></script>')
    assert with_chart["style-src"] == ["'self'", "'unsafe-inline'"]
    assert with_chart["script-src"] == ["'self'"]
    assert answer("<p>No chart here.</p>")["style-src"] == ["'self'"]
