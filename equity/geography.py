"""County shapes for a state's county map, drawn offline by plotly.js from our static files.

The shapes are the Census Bureau's 2016 cartographic boundary file of counties (1:500,000, public
domain) as shipped by the `plotly-geo` package, so nothing is downloaded at run time. The file
already uses the 2015 codes (46102 Oglala Lakota, 02158 Kusilvak), so its GEOIDs match
`partners.County.fips` as they are and no table of renamed codes is needed; the two counties it
cannot draw are listed in `COUNTIES_WITHOUT_SHAPE`.
"""

from functools import lru_cache
from importlib.resources import files
from typing import Any

import shapefile
import shapely
from shapely.geometry import mapping, shape

_SHAPEFILE = files("_plotly_geo").joinpath("package_data", "cb_2016_us_county_500k.shp")

# Counties in `partners.County` that the 2016 shapes cannot draw; a map leaves them blank.
COUNTIES_WITHOUT_SHAPE: dict[str, str] = {
    "02066": "Copper River Census Area: split from Valdez-Cordova (02261) in 2019. The shape of "
    "02261 still covers it and Chugach (02063), so it cannot be drawn on its own.",
    "51515": "Bedford city: merged into Bedford County (51019) in 2013; its people are in 51019's shape.",
}

# Simplification tolerance in degrees (about 500 m): on a state-wide map a pixel is about a kilometre.
_TOLERANCE = 0.005
# Coordinates snapped to a 0.0001 degree grid (about 10 m): more digits only make the JSON longer, and
# a coarser grid collapses enough vertices that some borders of neighbours no longer match.
_GRID = 0.0001


@lru_cache(maxsize=64)  # every state and territory fits; bounded in case a caller passes odd codes
def county_shapes(state_fips: str) -> dict[str, Any]:
    """The counties of one state as a GeoJSON FeatureCollection: each feature's `id` is the five-digit
    county FIPS and `properties.name` the Census Bureau's short name ("Sedgwick").

    Cached for the life of the process because the shapes never change and building them takes 50 ms
    (Kansas) to half a second (Alaska); every caller gets the same dict, so nobody may change it. A
    state code the file does not know gives an empty collection.
    """
    with shapefile.Reader(str(_SHAPEFILE)) as reader:
        # Scan only the small attribute table, then seek to this state's shapes through the index.
        records = [
            record
            for record in reader.iterRecords(fields=["STATEFP", "GEOID", "NAME"])
            if record["STATEFP"] == state_fips
        ]
        geometries = [shape(reader.shape(record.oid)) for record in records]

    # Simplified as one coverage, neighbours keep identical borders: no slivers or gaps between them.
    simplified = shapely.coverage_simplify(geometries, _TOLERANCE)
    simplified = shapely.set_precision(simplified, _GRID)
    # Plotly.js (d3-geo) reads a clockwise ring as the outside of a shape, the reverse of RFC 7946;
    # a ring wound the other way would fill the whole globe instead of the county.
    simplified = shapely.orient_polygons(simplified, exterior_cw=True)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": record["GEOID"],
                "properties": {"name": record["NAME"]},
                "geometry": mapping(geometry),
            }
            for record, geometry in zip(records, simplified, strict=True)
        ],
    }


# Room around the state, in degrees.
_MARGIN = 0.15


@lru_cache(maxsize=64)
def county_map_geo(state_fips: str) -> dict[str, Any]:
    """Plotly `layout.geo` settings for a map of a state's `county_shapes`:
    `fig.update_geos(**county_map_geo(fips))`.

    The view is the state's own bounds (plotly's `fitbounds` leaves a small state in a large empty box)
    and plotly's base map (coastlines, lakes, borders) is hidden, since the county shapes are the whole
    picture. Mercator keeps a state's shape at this scale; plotly's default equirectangular projection
    would stretch Kansas east-west by about a quarter.
    """
    settings: dict[str, Any] = {"fitbounds": False, "visible": False, "projection": {"type": "mercator"}}
    features = county_shapes(state_fips)["features"]
    if features:
        west, south, east, north = shapely.union_all([shape(f["geometry"]) for f in features]).bounds
        settings["lonaxis"] = {"range": [west - _MARGIN, east + _MARGIN]}
        settings["lataxis"] = {"range": [south - _MARGIN, north + _MARGIN]}
    return settings
