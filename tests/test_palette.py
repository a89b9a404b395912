"""Tandem's chart palette: defined once in core/figures.py, and every pair of its colours, and of the
contract stages' colours, stays apart for readers with each kind of colour blindness (no red against
green)."""

import itertools
import math
import re
from pathlib import Path

import pytest

from core import figures
from network.partnership import contracting

ROOT = Path(__file__).resolve().parent.parent

# Machado, Oliveira and Fernandes (2009): full protanopia, deuteranopia and tritanopia, on linear RGB.
DICHROMACY = {
    "protanopia": [
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ],
    "deuteranopia": [
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ],
    "tritanopia": [
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ],
}
# CIE76 distance below which two colours read as one (Tandem's old red #d83933 and green #00a91c are 6
# apart with deuteranopia; Okabe and Ito's closest pair is 16 apart).
APART = 12


def _linear(hex_colour: str) -> list[float]:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def _lab(rgb: list[float]) -> tuple[float, float, float]:
    r, g, b = (min(max(c, 0.0), 1.0) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def seen_with(kind: str, hex_colour: str) -> tuple[float, float, float]:
    rgb = _linear(hex_colour)
    return _lab([sum(m * c for m, c in zip(row, rgb, strict=True)) for row in DICHROMACY[kind]])


def closest_pair(colours: list[str]) -> tuple[float, str, str, str]:
    return min(
        (math.dist(seen_with(kind, a), seen_with(kind, b)), a, b, kind)
        for a, b in itertools.combinations(colours, 2)
        for kind in DICHROMACY
    )


def test_the_check_tells_red_from_green_apart_only_with_normal_vision():
    distance, *_ = closest_pair(["#d83933", "#00a91c"])
    assert distance < APART


def test_every_pair_of_palette_colours_stays_apart_with_colour_blindness():
    assert len(set(figures.COLOURS)) == len(figures.COLOURS) >= 6
    distance, a, b, kind = closest_pair(figures.COLOURS)
    assert distance >= APART, f"{a} and {b} look alike with {kind}"


def test_contract_stages_are_coloured_from_the_palette_and_stay_apart():
    colours = [contracting.STAGE_COLOURS[stage] for stage in contracting.PIPELINE_STAGES]
    assert set(colours) <= set(figures.COLOURS)
    distance, a, b, kind = closest_pair(colours)
    assert distance >= APART, f"{a} and {b} look alike with {kind}"


def test_the_chart_text_meets_aa_contrast_on_white():
    def luminance(hex_colour: str) -> float:
        r, g, b = _linear(hex_colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for colour in (figures.INK, figures.MUTED, figures.LOOK["font"]["color"]):
        assert (1.05) / (luminance(colour) + 0.05) >= 4.5


CHART_BUILDERS = [
    "goals/figures.py",
    "network/figures.py",
    *[str(path.relative_to(ROOT)) for path in sorted((ROOT / "equity").glob("*.py"))],
    *[str(path.relative_to(ROOT)) for path in sorted((ROOT / "network" / "partnership").glob("*.py"))],
]


@pytest.mark.parametrize("path", CHART_BUILDERS)
def test_chart_builders_take_their_colours_from_core_figures(path):
    source = (ROOT / path).read_text()
    assert not re.findall(r"#[0-9a-fA-F]{6}\b", source)
    assert "Reds" not in source and "RdYlGn" not in source and "Greens" not in source
