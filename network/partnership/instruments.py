"""The two self-assessment instruments Tandem starts with. Administrators can add more as data.

The phase check follows the developmental phases of ReThink Health's Pulse Check of multisector
partnerships (Earlier, Middle, Later). The relationship survey rates each named partner on the six
dimensions of trust and value used in partnership network analysis.

`load` writes both into the database: migration 0002 calls it, and so does the demo, which brings
them back when a database was flushed.
"""

from collections.abc import Callable

PHASE_CHECK = {
    "code": "phase-check",
    "name": "Partnership phase check",
    "kind": "phase_check",
    "description": (
        "Where does the partnership stand? Each partner scores six statements from 1 (not yet) to 5 (fully) "
        "and places the network in the Earlier, Middle or Later phase of development."
    ),
    "scale_min": 1,
    "scale_max": 5,
    "scale_labels": {"1": "Not yet", "2": "A little", "3": "Partly", "4": "Mostly", "5": "Fully"},
    "items": [
        (
            "shared_vision",
            "Shared vision",
            "Partners share a written vision and common goal for diabetes prevention.",
        ),
        (
            "leadership",
            "Leadership",
            "Leadership is shared across sectors; no one organization decides alone.",
        ),
        ("financing", "Financing", "The network has funding beyond short-term grants to sustain its work."),
        (
            "engagement",
            "Engagement",
            "Partners come to meetings, report on time and take on work in between.",
        ),
        ("data", "Data", "Partners collect and share enrollment data in one standard way."),
        (
            "learning",
            "Learning",
            "The network reviews its data together and changes course on what it learns.",
        ),
    ],
}

RELATIONSHIP_SURVEY = {
    "code": "relationship-survey",
    "name": "Partner relationship survey",
    "kind": "relationship_survey",
    "description": (
        "Which partners do you work with, and how closely? Rate each from 1 (not at all) to 4 (a great deal)."
    ),
    "scale_min": 1,
    "scale_max": 4,
    "scale_labels": {"1": "Not at all", "2": "A small amount", "3": "A fair amount", "4": "A great deal"},
    "items": [
        ("reliability", "trust", "This partner follows through on its commitments."),
        ("shared_mission", "trust", "This partner shares the network's mission and goals."),
        ("openness", "trust", "This partner is open to discussion and to other points of view."),
        ("power_influence", "value", "This partner has power and influence that helps the network."),
        ("resources", "value", "This partner contributes resources: staff, money, data, space or referrals."),
        ("involvement", "value", "This partner is actively involved in the network's work."),
    ],
}

INSTRUMENTS = [PHASE_CHECK, RELATIONSHIP_SURVEY]


def load(get_model: Callable[[str, str], type]) -> None:
    """Load the instruments above with their items; idempotent. ``get_model`` is ``apps.get_model``:
    a migration's historical models, or the current ones when a flushed database needs them again."""
    Instrument = get_model("network", "Instrument")
    InstrumentItem = get_model("network", "InstrumentItem")
    for spec in INSTRUMENTS:
        fields = {name: value for name, value in spec.items() if name not in {"code", "items"}}
        instrument, _ = Instrument.objects.update_or_create(code=spec["code"], defaults=fields)
        for order, (code, domain, text) in enumerate(spec["items"]):
            InstrumentItem.objects.update_or_create(
                instrument=instrument, code=code, defaults={"domain": domain, "text": text, "order": order}
            )
