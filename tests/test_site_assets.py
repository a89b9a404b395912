"""What every page and browser asks for beside the page: the site's icon, and the way from the API
tokens page to the API's documentation."""

import xml.etree.ElementTree as ET

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def test_the_favicon_is_an_svg_served_by_tandem():
    path = finders.find("img/favicon.svg")
    assert path, "static/img/favicon.svg is missing"
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 32 32"
    assert root.find(f"{SVG}title").text == "Tandem"
    # Nothing in it loads from elsewhere.
    assert "http" not in "".join(f"{k}={v}" for e in root.iter() for k, v in e.attrib.items() if "href" in k)


def test_favicon_ico_leads_to_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("img/favicon.svg")
    assert reverse("favicon") == "/favicon.ico"


def test_the_api_tokens_page_links_to_the_api_docs(world, client_for):
    page = client_for(world.partner).get(reverse("accounts:api_tokens"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{reverse("api:docs")}"' in html and reverse("api:docs") == "/api/docs/"
    assert f'href="{reverse("api:schema")}"' in html
    docs = client_for(world.partner).get(reverse("api:docs"))
    assert docs.status_code == 200
