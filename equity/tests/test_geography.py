"""County shapes: one feature per county the registry knows, small enough to send with a page, and
drawn the way plotly.js expects."""

import json

import plotly.graph_objects as go
import pytest
from shapely.geometry import shape

from equity.geography import COUNTIES_WITHOUT_SHAPE, county_map_geo, county_shapes
from partners.models import County, State

KANSAS = "20"
# The bounding box of Kansas in the Census Bureau's 2016 state boundaries (west, south, east, north),
# rounded outwards to 0.001 degree for the 0.0001 degree grid the shapes are snapped to.
KANSAS_BOUNDS = (-102.052, 36.993, -94.588, 40.004)


def _ids(collection: dict) -> list[str]:
    return [feature["id"] for feature in collection["features"]]


@pytest.mark.django_db
def test_every_kansas_county_has_exactly_one_feature():
    fips = set(County.objects.filter(state__fips=KANSAS).values_list("fips", flat=True))
    ids = _ids(county_shapes(KANSAS))
    assert len(fips) == 105
    assert sorted(ids) == sorted(fips)


@pytest.mark.django_db
def test_every_county_in_the_registry_has_a_shape_but_the_known_few():
    ids = {fips for state in State.objects.all() for fips in _ids(county_shapes(state.fips))}
    registry = set(County.objects.values_list("fips", flat=True))
    assert registry - ids == set(COUNTIES_WITHOUT_SHAPE)
    assert ids <= registry


def test_kansas_is_small_enough_to_send_with_a_page():
    # As plotly serializes it, before any compression.
    assert len(json.dumps(county_shapes(KANSAS))) < 100_000


def test_kansas_coordinates_lie_within_kansas():
    west, south, east, north = KANSAS_BOUNDS
    for feature in county_shapes(KANSAS)["features"]:
        min_x, min_y, max_x, max_y = shape(feature["geometry"]).bounds
        assert west <= min_x and max_x <= east, feature["id"]
        assert south <= min_y and max_y <= north, feature["id"]


def test_other_states_counties_are_left_out():
    kansas = set(_ids(county_shapes(KANSAS)))
    missouri = set(_ids(county_shapes("29")))
    assert all(fips.startswith(KANSAS) for fips in kansas)
    assert "29095" in missouri and "29095" not in kansas  # Jackson County, Missouri, next to Kansas City
    assert kansas.isdisjoint(missouri)


def test_shapes_are_valid_and_wound_for_plotly():
    for feature in county_shapes(KANSAS)["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, feature["id"]
        polygons = getattr(geometry, "geoms", [geometry])
        # Counter-clockwise outer rings would fill the whole globe in plotly.js (d3-geo).
        assert not any(polygon.exterior.is_ccw for polygon in polygons), feature["id"]


def test_names_come_with_the_shapes():
    names = {feature["id"]: feature["properties"]["name"] for feature in county_shapes("35")["features"]}
    assert names["35013"] == "Doña Ana"


def test_shapes_are_built_once_per_state():
    assert county_shapes(KANSAS) is county_shapes(KANSAS)


def test_an_unknown_state_has_no_counties():
    assert county_shapes("99")["features"] == []


def test_plotly_takes_the_shapes_and_layout():
    collection = county_shapes(KANSAS)
    ids = _ids(collection)
    figure = go.Figure(
        go.Choropleth(geojson=collection, featureidkey="id", locations=ids, z=list(range(len(ids))))
    )
    figure.update_geos(**county_map_geo(KANSAS))
    # Kansas runs from 102.05° to 94.59° west and from 36.99° to 40.00° north.
    west, east = figure.layout.geo.lonaxis.range
    south, north = figure.layout.geo.lataxis.range
    assert -102.3 < west < -102.05 and -94.59 < east < -94.3
    assert 36.7 < south < 36.99 and 40.0 < north < 40.3
    assert json.loads(figure.to_json())["data"][0]["geojson"]["features"][0]["id"] == ids[0]
