"""The Bright Spot Initiative demo: the five state networks of the cohort, their partners, workgroups,
meetings and contracts, the ties between partners, the backbone's touchpoints, self-assessment rounds
with their answers, and one demo user in every role.

`build_demo` is idempotent: every row is found by its natural key (organization name and state, network
slug, username, workgroup name, meeting title and day, contract title, tie ends, kind and start, touchpoint
partner, day and kind, round title, invited partner) and written only when it is missing or differs, so
running it again leaves the database as it was. It sends no e-mail: invitations and reminders are rows
with fixed dates, and each invitation's token is derived from its natural key and the site's SECRET_KEY, so
it is the same on every run. Everything random comes from
`random.Random` seeded per state and purpose, and every date is fixed relative to `ANCHOR`, so the
demo is the same on every machine. All partner organizations and people are fictional; the backbone
organizations, state health departments and the Southeast Michigan Hospital Collaborative are the ones
DOMAIN.md names.
"""

import datetime
import hashlib
import hmac
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.db import models, transaction
from django.utils.text import slugify

from core.calendar import month_add
from network import services
from network.models import (
    CONTRACT_STAGE_ORDER,
    AssessmentInvitation,
    AssessmentRound,
    Attendance,
    BackboneModel,
    Closeness,
    Contract,
    ContractStage,
    ContractStageChange,
    DataSharing,
    Instrument,
    ItemScore,
    Meeting,
    Membership,
    Network,
    PartnerTie,
    Phase,
    Role,
    RoleKind,
    SurveyRelationship,
    TieKind,
    Touchpoint,
    TouchpointKind,
    Workgroup,
    WorkgroupSeat,
)
from network.partnership import engagement, instruments, ties
from network.partnership.assessments import (
    RelationshipAnswer,
    assessment_response_submit,
    assessment_round_close,
)
from partners import reference
from partners.models import (
    Contact,
    County,
    DeliveryMode,
    Organization,
    OrganizationKind,
    PopulationOfFocus,
    RecognitionStatus,
    Sector,
    State,
)

PASSWORD = "tandem-demo"

# "Today" for the demo: meetings cover the twelve months before it, contracts wait in the pipeline up to it.
ANCHOR = datetime.date(2026, 11, 1)

S = Sector
R = RecognitionStatus


@dataclass(frozen=True)
class Org:
    """An organization of the demo. ``status`` makes it a supplier; ``note`` opens its description."""

    name: str
    sector: str
    kinds: tuple[str, ...]
    status: str = R.NOT_APPLICABLE
    modes: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()
    note: str = ""
    real: bool = False  # a real organization named in DOMAIN.md: no invented website, serves the state
    left_on: datetime.date | None = None

    @property
    def is_supplier(self) -> bool:
        return self.status not in (R.NOT_APPLICABLE, R.APPLYING)


@dataclass(frozen=True)
class WorkgroupPlan:
    name: str
    purpose: str
    co_leaders: tuple[str, ...]  # organization names
    members: int  # how many further partners hold a seat


@dataclass(frozen=True)
class ContractPlan:
    organization: str
    title: str
    amount: int
    pattern: str  # planned, stuck_drafting, stuck_review, executed, amended, ended
    purpose: str = ""


@dataclass(frozen=True)
class StatePlan:
    slug: str
    code: str
    capital: str
    area_code: str
    time_zone: str
    backbone: Org
    backbone_model: str
    health_department: Org | None  # None: the state health department is its own backbone
    partners: tuple[Org, ...]
    partner_users: tuple[str, str]  # supplier names: shares with the state / with the backbone only
    populations: tuple[str, ...]  # the populations the state's partners are drawn to serve
    workgroups: tuple[WorkgroupPlan, ...]
    contracts: tuple[ContractPlan, ...]

    @property
    def network_name(self) -> str:
        return f"{self.state_name} Diabetes Prevention Partner Network"

    @property
    def state_name(self) -> str:
        return self.slug.capitalize()


def _supplier(name: str, sector: str, status: str, modes: tuple[str, ...], *extra: str, **kw: Any) -> Org:
    return Org(name, sector, ("supplier", *extra), status=status, modes=modes, **kw)


IN_PERSON, ONLINE, DISTANCE, COMBINATION = "in_person", "online", "distance", "combination"

KANSAS = StatePlan(
    slug="kansas",
    code="KS",
    capital="Topeka",
    area_code="785",
    time_zone="America/Chicago",
    backbone=Org(
        "Kansas Department of Health and Environment",
        S.PUBLIC_HEALTH,
        ("funder", "data_partner", "technical_assistance"),
        populations=("rural", "medicaid"),
        note="The state health department (KDHE), and the network's own backbone organization.",
        real=True,
    ),
    backbone_model=BackboneModel.SHD_SELF,
    health_department=None,
    partners=(
        _supplier(
            "Tallgrass Valley YMCA", S.COMMUNITY_BASED, R.FULL, (IN_PERSON, COMBINATION), "community_partner"
        ),
        _supplier(
            "Cottonwood Bend Community Health Center",
            S.HEALTH_CARE,
            R.FULL_PLUS,
            (IN_PERSON, DISTANCE),
            "referral_source",
            populations=("medicaid", "low_income"),
        ),
        _supplier("Prairie Lantern Online Coaching", S.BUSINESS, R.PRELIMINARY, (ONLINE,)),
        _supplier("Smoky Hill Valley Hospital", S.HEALTH_CARE, R.PENDING, (IN_PERSON,), "referral_source"),
        _supplier("Prairie Rose Church Health Ministry", S.FAITH_BASED, R.PRELIMINARY, (IN_PERSON,)),
        Org("Limestone Ridge Family Medicine", S.HEALTH_CARE, ("referral_source",)),
        Org("Bluestem Health Plan", S.PAYER, ("payer", "data_partner"), populations=("medicaid",)),
        Org("Flint Hills Faith Coalition", S.FAITH_BASED, ("community_partner", "referral_source")),
        Org("Konza Grain Cooperative", S.EMPLOYER, ("employer",), populations=("men", "rural")),
        Org("Meadowlark Pharmacy Network", S.BUSINESS, ("referral_source",)),
        Org("Wheat State Community College", S.EDUCATION, ("community_partner", "referral_source")),
        Org(
            "Kaw River University Prevention Research Center",
            S.ACADEMIC,
            ("data_partner", "technical_assistance"),
        ),
        Org("Sandhill Area Agency on Aging", S.GOVERNMENT, ("referral_source",), populations=("medicare",)),
        Org(
            "Cimarron Promotoras de Salud",
            S.COMMUNITY_BASED,
            ("community_partner", "referral_source"),
            populations=("hispanic", "limited_english"),
            note="Spanish-speaking community health workers in southwest Kansas.",
        ),
        Org(
            "Harvest Table Food Pantry",
            S.COMMUNITY_BASED,
            ("community_partner",),
            populations=("low_income",),
            left_on=datetime.date(2026, 4, 30),
        ),
        Org("Tallgrass Community Radio", S.MEDIA, ("advocacy",)),
        Org("Sunflower Employers Health Coalition", S.EMPLOYER, ("employer", "advocacy")),
        Org("Osage Trail Local Health Department", S.PUBLIC_HEALTH, ("referral_source", "community_partner")),
    ),
    partner_users=("Tallgrass Valley YMCA", "Cottonwood Bend Community Health Center"),
    populations=("rural", "hispanic", "medicaid", "low_income", "men", "medicare", "black"),
    workgroups=(
        WorkgroupPlan(
            "Data Sharing and Reporting",
            "Agree on one way to collect enrollment data, and on what suppliers share with whom.",
            ("Cottonwood Bend Community Health Center", "Smoky Hill Valley Hospital"),
            3,
        ),
        WorkgroupPlan(
            "Referrals and Enrollment",
            "Get people with prediabetes referred, enrolled and retained, above all in rural counties.",
            ("Tallgrass Valley YMCA", "Limestone Ridge Family Medicine", "Flint Hills Faith Coalition"),
            4,
        ),
    ),
    contracts=(
        ContractPlan(
            "Tallgrass Valley YMCA",
            "Lifestyle change program delivery, year 1",
            48_000,
            "ended",
            "Deliver six in-person cohorts in the network's rural counties.",
        ),
        ContractPlan(
            "Tallgrass Valley YMCA",
            "Lifestyle change program delivery, year 2",
            52_000,
            "executed",
            "Deliver eight cohorts, two of them in Spanish with Cimarron Promotoras de Salud.",
        ),
        ContractPlan(
            "Cottonwood Bend Community Health Center",
            "Program delivery and data-sharing agreement",
            65_000,
            "stuck_review",
            "Deliver the program and report monthly enrollment counts; the data-sharing terms are in review.",
        ),
        ContractPlan("Bluestem Health Plan", "Coverage pilot for Medicaid members", 30_000, "stuck_drafting"),
        ContractPlan(
            "Kaw River University Prevention Research Center",
            "Network evaluation",
            40_000,
            "executed",
        ),
    ),
)

MICHIGAN = StatePlan(
    slug="michigan",
    code="MI",
    capital="Lansing",
    area_code="517",
    time_zone="America/Detroit",
    backbone=Org(
        "Michigan Public Health Institute, Center for Health Equity Practice",
        S.PUBLIC_HEALTH,
        ("technical_assistance", "data_partner"),
        populations=("black", "hispanic", "low_income"),
        note="The external backbone organization the state health department contracts.",
        real=True,
    ),
    backbone_model=BackboneModel.EXTERNAL,
    health_department=Org(
        "Michigan Department of Health and Human Services",
        S.PUBLIC_HEALTH,
        ("funder", "data_partner"),
        populations=("medicaid", "black"),
        note="The state health department; it funds the network and contracts its backbone.",
        real=True,
    ),
    partners=(
        Org(
            "Southeast Michigan Hospital Collaborative",
            S.HEALTH_CARE,
            ("referral_source", "data_partner"),
            populations=("black", "medicaid"),
            note="A major partner: its hospitals refer patients with prediabetes from their clinics.",
            real=True,
        ),
        _supplier("Great Lakes Shoreline YMCA", S.COMMUNITY_BASED, R.FULL, (IN_PERSON, COMBINATION)),
        _supplier(
            "Riverbend Health System",
            S.HEALTH_CARE,
            R.FULL_PLUS,
            (IN_PERSON, DISTANCE),
            "referral_source",
        ),
        _supplier("Lakeshore Commons Community Health Center", S.HEALTH_CARE, R.PRELIMINARY, (IN_PERSON,)),
        _supplier("Mitten Health Coaching", S.BUSINESS, R.FULL, (ONLINE,)),
        _supplier("Second Street Baptist Health Ministry", S.FAITH_BASED, R.PENDING, (IN_PERSON,)),
        Org("Northwoods Mutual Health Plan", S.PAYER, ("payer",)),
        Org("Riverside Axle Works", S.EMPLOYER, ("employer",), populations=("men",)),
        Org("Eastside Congregations for Health", S.FAITH_BASED, ("community_partner", "referral_source")),
        Org("Lakes Region Community College", S.EDUCATION, ("community_partner",)),
        Org("Cedar Lane Housing Cooperative", S.HOUSING, ("community_partner",), populations=("low_income",)),
        Org("Two Rivers Ride Transit", S.TRANSPORTATION, ("community_partner",)),
        Org("Northern Lights Community Media", S.MEDIA, ("advocacy",)),
        Org("Peninsula Grocers Association", S.BUSINESS, ("community_partner", "referral_source")),
        Org(
            "Maple Shore Area Agency on Aging", S.GOVERNMENT, ("referral_source",), populations=("medicare",)
        ),
        Org(
            "Crescent Community Wellness Center",
            S.COMMUNITY_BASED,
            ("community_partner",),
            populations=("limited_english",),
            note="Health education in Arabic and English.",
        ),
        Org(
            "Great Lakes Institute for Prevention Research",
            S.ACADEMIC,
            ("data_partner", "technical_assistance"),
        ),
        Org(
            "Northern Pines Indian Health Clinic", S.HEALTH_CARE, ("referral_source",), populations=("aian",)
        ),
        Org(
            "Copper Country Pharmacy Group",
            S.BUSINESS,
            ("referral_source",),
            left_on=datetime.date(2026, 2, 28),
        ),
    ),
    partner_users=("Great Lakes Shoreline YMCA", "Riverbend Health System"),
    populations=(
        "black",
        "hispanic",
        "asian",
        "medicaid",
        "low_income",
        "medicare",
        "limited_english",
        "rural",
    ),
    workgroups=(
        WorkgroupPlan(
            "Health Systems and Referrals",
            "Build electronic referrals from hospitals and clinics to suppliers.",
            (
                "Southeast Michigan Hospital Collaborative",
                "Great Lakes Shoreline YMCA",
                "Northwoods Mutual Health Plan",
                "Peninsula Grocers Association",
            ),
            4,
        ),
        WorkgroupPlan(
            "Community Outreach and Health Equity",
            "Reach Black, Hispanic and Arab American residents of Detroit and Flint.",
            (
                "Eastside Congregations for Health",
                "Second Street Baptist Health Ministry",
                "Crescent Community Wellness Center",
            ),
            4,
        ),
        WorkgroupPlan(
            "Coverage and Payment",
            "Get Medicaid health plans and employers to cover the program.",
            ("Northwoods Mutual Health Plan",),
            3,
        ),
    ),
    contracts=(
        ContractPlan(
            "Michigan Public Health Institute, Center for Health Equity Practice",
            "Backbone services agreement, 2025-2027",
            240_000,
            "amended",
            "Coordinate the network, its data and its meetings for the state health department.",
        ),
        ContractPlan("Great Lakes Shoreline YMCA", "Lifestyle change program delivery", 70_000, "executed"),
        ContractPlan("Riverbend Health System", "Electronic referral integration", 55_000, "stuck_review"),
        ContractPlan("Mitten Health Coaching", "Online program delivery", 35_000, "planned"),
        ContractPlan(
            "Southeast Michigan Hospital Collaborative",
            "Hospital referral data-sharing agreement",
            20_000,
            "executed",
        ),
    ),
)

MISSOURI = StatePlan(
    slug="missouri",
    code="MO",
    capital="Jefferson City",
    area_code="573",
    time_zone="America/Chicago",
    backbone=Org(
        "Simply Strategy",
        S.BUSINESS,
        ("technical_assistance",),
        populations=("rural",),
        note="The external backbone organization; it built the network on the Missouri Alliance Network.",
        real=True,
    ),
    backbone_model=BackboneModel.EXTERNAL,
    health_department=Org(
        "Missouri Department of Health and Senior Services",
        S.PUBLIC_HEALTH,
        ("funder", "data_partner"),
        populations=("rural", "medicare"),
        note="The state health department; it funds the network and contracts its backbone.",
        real=True,
    ),
    partners=(
        _supplier("Ozark Trails YMCA", S.COMMUNITY_BASED, R.FULL, (IN_PERSON,), "community_partner"),
        _supplier(
            "Bootheel Rural Health Clinic",
            S.HEALTH_CARE,
            R.PRELIMINARY,
            (IN_PERSON, DISTANCE),
            "referral_source",
            populations=("rural", "black"),
        ),
        _supplier("Show-Me Lifestyle Coaching", S.BUSINESS, R.FULL_PLUS, (ONLINE,)),
        _supplier("Northside Churches United for Health", S.FAITH_BASED, R.PENDING, (IN_PERSON,)),
        Org("Confluence Medical Group", S.HEALTH_CARE, ("referral_source",)),
        Org("Mid-River Health Plan", S.PAYER, ("payer", "funder")),
        Org("Big Muddy Pharmacy Cooperative", S.BUSINESS, ("referral_source",)),
        Org(
            "Ozark Highlands Community Action Agency",
            S.COMMUNITY_BASED,
            ("community_partner", "referral_source"),
        ),
        Org("Missouri River Valley Technical College", S.EDUCATION, ("community_partner",)),
        Org(
            "Osage Hills Housing Partnership", S.HOUSING, ("community_partner",), populations=("low_income",)
        ),
        Org("Cardinal Freight Lines", S.EMPLOYER, ("employer",), populations=("men",)),
        Org(
            "Current River Area Agency on Aging",
            S.GOVERNMENT,
            ("referral_source",),
            populations=("medicare",),
        ),
        Org("Tri-Lakes Local Public Health Agency", S.PUBLIC_HEALTH, ("referral_source",)),
        Org(
            "Westside Latino Health Network",
            S.COMMUNITY_BASED,
            ("community_partner", "referral_source"),
            populations=("hispanic", "limited_english"),
        ),
        Org("Ozark Business Alliance", S.BUSINESS, ("advocacy",)),
        Org("Two Rivers Institute for Rural Health Research", S.ACADEMIC, ("data_partner",)),
    ),
    partner_users=("Ozark Trails YMCA", "Bootheel Rural Health Clinic"),
    populations=("black", "rural", "medicaid", "low_income", "medicare", "hispanic", "men"),
    workgroups=(
        WorkgroupPlan(
            "Coverage and Sustainability",
            "Keep the program paid for once the grant ends: Medicaid, Medicare and employers.",
            ("Mid-River Health Plan", "Ozark Trails YMCA", "Cardinal Freight Lines"),
            4,
        ),
    ),
    contracts=(
        ContractPlan(
            "Simply Strategy",
            "Backbone services agreement",
            180_000,
            "executed",
            "Coordinate the network for the state health department.",
        ),
        ContractPlan("Ozark Trails YMCA", "Lifestyle change program delivery", 45_000, "executed"),
        ContractPlan(
            "Bootheel Rural Health Clinic", "Lifestyle change program delivery", 38_000, "stuck_review"
        ),
        ContractPlan(
            "Northside Churches United for Health", "Program start-up grant", 12_000, "stuck_drafting"
        ),
    ),
)

UTAH = StatePlan(
    slug="utah",
    code="UT",
    capital="Salt Lake City",
    area_code="801",
    time_zone="America/Denver",
    backbone=Org(
        "Steering Committee for the Prevention of Diabetes in Utah",
        S.COMMUNITY_BASED,
        ("technical_assistance", "advocacy"),
        populations=("hispanic", "nhopi", "rural"),
        note="The external backbone organization the state health department works with.",
        real=True,
    ),
    backbone_model=BackboneModel.EXTERNAL,
    health_department=Org(
        "Utah Department of Health and Human Services",
        S.PUBLIC_HEALTH,
        ("funder", "data_partner"),
        populations=("medicaid", "rural"),
        note="The state health department; it funds the network.",
        real=True,
    ),
    partners=(
        _supplier("Beehive Valley YMCA", S.COMMUNITY_BASED, R.FULL, (IN_PERSON, COMBINATION)),
        _supplier(
            "Red Rock Community Health Center",
            S.HEALTH_CARE,
            R.FULL_PLUS,
            (IN_PERSON, DISTANCE),
            "referral_source",
            populations=("hispanic", "medicaid"),
        ),
        _supplier("Basin and Range Online Coaching", S.BUSINESS, R.PRELIMINARY, (ONLINE,)),
        _supplier(
            "Sagebrush Rural Health Clinic", S.HEALTH_CARE, R.PENDING, (IN_PERSON,), populations=("rural",)
        ),
        Org("Canyon Lands Medical Group", S.HEALTH_CARE, ("referral_source",)),
        Org("Bonneville Health Plan", S.PAYER, ("payer",)),
        Org(
            "Wasatch Pacific Islander Health Coalition",
            S.COMMUNITY_BASED,
            ("community_partner",),
            populations=("nhopi",),
        ),
        Org(
            "Comunidad Saludable del Valle",
            S.COMMUNITY_BASED,
            ("community_partner", "referral_source"),
            populations=("hispanic", "limited_english"),
        ),
        Org("Interfaith Wellness Council of the Wasatch", S.FAITH_BASED, ("community_partner",)),
        Org("Great Basin Technical College", S.EDUCATION, ("community_partner",)),
        Org("Copper Peak Mining Company", S.EMPLOYER, ("employer",), populations=("men", "rural")),
        Org(
            "Canyon Country Transit",
            S.TRANSPORTATION,
            ("community_partner",),
            left_on=datetime.date(2026, 6, 30),
        ),
        Org("Beehive Public Media", S.MEDIA, ("advocacy",)),
        Org(
            "Four Corners Area Agency on Aging",
            S.GOVERNMENT,
            ("referral_source",),
            populations=("aian", "medicare"),
        ),
        Org("Wasatch Institute for Health Outcomes", S.ACADEMIC, ("data_partner", "technical_assistance")),
        Org("Beehive Grocers Association", S.BUSINESS, ("referral_source",)),
    ),
    partner_users=("Beehive Valley YMCA", "Red Rock Community Health Center"),
    populations=("hispanic", "nhopi", "aian", "rural", "limited_english", "medicaid", "low_income"),
    workgroups=(
        WorkgroupPlan(
            "Infrastructure and Awareness",
            "Build the network's infrastructure and make people aware of prediabetes and the program.",
            ("Beehive Public Media", "Beehive Valley YMCA", "Interfaith Wellness Council of the Wasatch"),
            4,
        ),
        WorkgroupPlan(
            "Sustainability through Referrals, Retention, and Coverage",
            "More referrals, participants who stay the year, and payers who cover the program.",
            ("Bonneville Health Plan", "Red Rock Community Health Center", "Comunidad Saludable del Valle"),
            4,
        ),
        WorkgroupPlan(
            "Data Collection and Outcome Evaluation",
            "One standard way to collect data, and an evaluation of what the network achieves.",
            ("Wasatch Institute for Health Outcomes", "Utah Department of Health and Human Services"),
            2,
        ),
    ),
    contracts=(
        ContractPlan(
            "Steering Committee for the Prevention of Diabetes in Utah",
            "Backbone coordination, year 2",
            150_000,
            "executed",
        ),
        ContractPlan("Beehive Valley YMCA", "Lifestyle change program delivery", 60_000, "executed"),
        ContractPlan(
            "Red Rock Community Health Center", "Lifestyle change program delivery", 58_000, "stuck_review"
        ),
        ContractPlan("Bonneville Health Plan", "Coverage and reimbursement pilot", 25_000, "stuck_drafting"),
        ContractPlan("Beehive Public Media", "Prediabetes awareness campaign", 18_000, "executed"),
    ),
)

WISCONSIN = StatePlan(
    slug="wisconsin",
    code="WI",
    capital="Madison",
    area_code="608",
    time_zone="America/Chicago",
    backbone=Org(
        "Wisconsin Department of Health Services, Chronic Disease Prevention Program",
        S.PUBLIC_HEALTH,
        ("funder", "data_partner", "technical_assistance"),
        populations=("black", "aian", "rural"),
        note="The state health department's program, and the network's own backbone organization.",
        real=True,
    ),
    backbone_model=BackboneModel.SHD_SELF,
    health_department=None,
    partners=(
        _supplier("Driftless Area YMCA", S.COMMUNITY_BASED, R.FULL, (IN_PERSON,), "community_partner"),
        _supplier(
            "Glacial Lakes Community Health Center",
            S.HEALTH_CARE,
            R.FULL_PLUS,
            (IN_PERSON, DISTANCE),
            "referral_source",
        ),
        _supplier("Badger Online Lifestyle Coaching", S.BUSINESS, R.FULL, (ONLINE,)),
        _supplier("Greater Hope Church Health Ministry", S.FAITH_BASED, R.PRELIMINARY, (IN_PERSON,)),
        Org("Lakeshore Dairy Cooperative", S.EMPLOYER, ("employer",), populations=("rural", "men")),
        Org("Timberland Health Plan", S.PAYER, ("payer",)),
        Org("Red Cedar Indian Health Center", S.HEALTH_CARE, ("referral_source",), populations=("aian",)),
        Org(
            "Hmong Family Wellness Association",
            S.COMMUNITY_BASED,
            ("community_partner",),
            populations=("asian", "limited_english"),
        ),
        Org("Riverside Lutheran Parish Nurses", S.FAITH_BASED, ("community_partner", "referral_source")),
        Org("Headwaters Technical College", S.EDUCATION, ("community_partner",)),
        Org("Kettle Moraine Public Health Consortium", S.PUBLIC_HEALTH, ("referral_source",)),
        Org("Driftless Area Agency on Aging", S.GOVERNMENT, ("referral_source",), populations=("medicare",)),
        Org("Cream City Grocers Alliance", S.BUSINESS, ("referral_source",)),
        Org("Lake Country Transit", S.TRANSPORTATION, ("community_partner",)),
        Org("Driftless Institute for Population Health", S.ACADEMIC, ("data_partner",)),
    ),
    partner_users=("Driftless Area YMCA", "Glacial Lakes Community Health Center"),
    populations=("black", "hispanic", "asian", "aian", "rural", "medicaid", "medicare", "limited_english"),
    workgroups=(
        WorkgroupPlan(
            "Awareness and Outreach",
            "Tell people at risk about prediabetes and the program, in their own languages.",
            (
                "Hmong Family Wellness Association",
                "Riverside Lutheran Parish Nurses",
                "Lakeshore Dairy Cooperative",
            ),
            4,
        ),
        WorkgroupPlan(
            "Supplier Capacity and Quality",
            "Help suppliers reach and keep full recognition, and share coaches.",
            ("Glacial Lakes Community Health Center", "Red Cedar Indian Health Center"),
            2,
        ),
    ),
    contracts=(
        ContractPlan("Driftless Area YMCA", "Lifestyle change program delivery", 42_000, "executed"),
        ContractPlan(
            "Glacial Lakes Community Health Center",
            "Lifestyle change program delivery",
            56_000,
            "executed",
        ),
        ContractPlan("Badger Online Lifestyle Coaching", "Online program delivery", 30_000, "planned"),
        ContractPlan(
            "Driftless Institute for Population Health",
            "Outcome evaluation",
            35_000,
            "stuck_review",
        ),
    ),
)

STATES: tuple[StatePlan, ...] = (KANSAS, MICHIGAN, MISSOURI, UTAH, WISCONSIN)

FIRST_NAMES = (
    "Maria",
    "James",
    "Aisha",
    "Robert",
    "Linh",
    "David",
    "Grace",
    "Carlos",
    "Emily",
    "Tomas",
    "Keisha",
    "Daniel",
    "Priya",
    "Samuel",
    "Rosa",
    "Ahmed",
    "Hannah",
    "Marcus",
    "Yer",
    "Joseph",
    "Leilani",
    "Michael",
    "Sofia",
    "Andre",
    "Fatima",
    "Kevin",
    "Olivia",
    "Jamal",
    "Nhia",
    "Teresa",
    "Brian",
    "Laura",
    "Miguel",
    "Naomi",
    "Eric",
    "Vanessa",
    "Tyrone",
    "Julia",
    "Raj",
    "Monique",
)
LAST_NAMES = (
    "Garcia",
    "Johnson",
    "Nguyen",
    "Williams",
    "Patel",
    "Brown",
    "Martinez",
    "Thao",
    "Anderson",
    "Jackson",
    "Lopez",
    "Lee",
    "Hernandez",
    "Wilson",
    "Kaufusi",
    "Moore",
    "Yazzie",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Hassan",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Ramirez",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
)

TITLES = {
    "supplier": ("Lifestyle Change Program Coordinator", "Lead Lifestyle Coach", "Program Manager"),
    S.HEALTH_CARE: ("Director of Population Health", "Care Coordination Manager", "Clinic Manager"),
    S.PUBLIC_HEALTH: ("Chronic Disease Program Manager", "Epidemiologist", "Health Educator"),
    S.PAYER: ("Quality Improvement Manager", "Medical Director", "Member Wellness Lead"),
    S.EMPLOYER: ("Human Resources Director", "Benefits Manager"),
    S.COMMUNITY_BASED: ("Executive Director", "Community Health Worker Supervisor", "Outreach Coordinator"),
    S.FAITH_BASED: ("Health Ministry Coordinator", "Parish Nurse", "Pastor"),
    S.EDUCATION: ("Dean of Continuing Education", "Student Wellness Coordinator"),
    S.HOUSING: ("Resident Services Manager", "Executive Director"),
    S.TRANSPORTATION: ("Mobility Manager", "Community Relations Manager"),
    S.MEDIA: ("Station Manager", "Community Engagement Producer"),
    S.BUSINESS: ("Executive Director", "Pharmacy Services Manager", "Partnerships Manager"),
    S.GOVERNMENT: ("Director", "Aging Services Coordinator"),
    S.ACADEMIC: ("Principal Investigator", "Research Program Manager", "Data Analyst"),
}

KIND_SENTENCES = {
    "referral_source": "Refers patients and clients with prediabetes to a lifestyle change program nearby.",
    "payer": "Covers the lifestyle change program for its members.",
    "funder": "Funds the network and some of its partners.",
    "employer": "Offers the lifestyle change program to its employees as a health benefit.",
    "community_partner": "Reaches people at risk where they live, work, learn and pray.",
    "data_partner": "Shares or analyses referral and enrollment data for the network.",
    "technical_assistance": "Trains and supports other partners.",
    "advocacy": "Works on awareness of prediabetes and on coverage of the program.",
}
MODE_WORDS = {
    IN_PERSON: "in person",
    ONLINE: "online",
    DISTANCE: "by distance learning (live, remote sessions)",
    COMBINATION: "as a hybrid of in-person and online sessions",
}


def _rng(plan: StatePlan, purpose: str) -> random.Random:
    """One generator per state and purpose, so a change to one part of the demo leaves the rest as it was."""
    return random.Random(f"tandem-demo:{plan.slug}:{purpose}")


def _website(org: Org) -> str:
    return "" if org.real else f"https://{slugify(org.name)}.example.org"


def _description(org: Org, county_count: int) -> str:
    sentences = [org.note] if org.note else []
    if org.is_supplier:
        modes = " and ".join(MODE_WORDS[mode] for mode in org.modes)
        status = R(org.status).label.lower()
        sentences.append(
            f"CDC-recognized supplier ({status}) of the National Diabetes Prevention Program lifestyle "
            f"change program, delivered {modes}, in {county_count} counties."
        )
    sentences += [KIND_SENTENCES[kind] for kind in org.kinds if kind in KIND_SENTENCES]
    return " ".join(sentences)


def _date_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> datetime.date:
    first = datetime.date(year, month, 1)
    return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _months(first: datetime.date, count: int) -> list[tuple[int, int]]:
    return [(month.year, month.month) for month in (month_add(first, i) for i in range(count))]


# Twelve months of past meetings before the anchor, then two more scheduled after it.
MEETING_MONTHS = _months(datetime.date(ANCHOR.year - 1, ANCHOR.month, 1), 14)


# Partnership health: the ties the backbone recorded, its touchpoints with partners, self-assessments.

TIE_NOTES = {
    (TieKind.REFERRALS, S.HEALTH_CARE): "Refers patients with prediabetes from its clinics.",
    (TieKind.REFERRALS, S.PUBLIC_HEALTH): "Refers residents screened at its clinics and health fairs.",
    (TieKind.REFERRALS, S.BUSINESS): "Refers customers who took a prediabetes risk test in its stores.",
    (TieKind.REFERRALS, S.GOVERNMENT): "Refers older adults from its benefits counselling.",
    (TieKind.REFERRALS, "advocacy"): "Its awareness campaign sends people at risk to the program.",
    (TieKind.REFERRALS, ""): "Refers the people at risk it reaches to the program.",
    (TieKind.FUNDING, "backbone"): "Funds the backbone's coordination of the network.",
    (TieKind.FUNDING, "contract"): "Funds the partner's work under contract.",
    (TieKind.FUNDING, S.PAYER): "Covers the lifestyle change program for its members.",
    (TieKind.FUNDING, "employer"): "Pays for its employees' enrollment as a health benefit.",
    (TieKind.FUNDING, ""): "Funds program delivery for the people it serves.",
    (TieKind.DATA_SHARING, "report"): "Monthly enrollment and retention counts.",
    (TieKind.DATA_SHARING, S.ACADEMIC): "Referral and enrollment data for the network's evaluation.",
    (TieKind.DATA_SHARING, ""): "Referral and claims data on people with prediabetes.",
    (TieKind.CO_DELIVERY, S.EDUCATION): "Hosts classes on its campuses and trains lifestyle coaches.",
    (TieKind.CO_DELIVERY, S.HOUSING): "Hosts classes in its community rooms for residents.",
    (TieKind.CO_DELIVERY, S.TRANSPORTATION): "Gives participants rides to class.",
    (TieKind.CO_DELIVERY, ""): "Hosts cohorts at its sites and recruits participants for them.",
}
TIE_ENDED_NOTES = (
    "Ended when the partner's referral coordinator left.",
    "Paused while the partner rebuilds its program staff.",
    "Ended with the grant that paid for it.",
)

TOUCHPOINT_KINDS = (TouchpointKind.CALL, TouchpointKind.EMAIL, TouchpointKind.VISIT, TouchpointKind.MEETING)
TOUCHPOINT_KIND_WEIGHTS = (45, 35, 15, 5)
TOUCHPOINT_NOTES = {
    TouchpointKind.CALL: (
        "Checked in on referrals this quarter.",
        "Talked through the monthly enrollment report.",
        "Followed up on the last all-partner meeting.",
        "Asked whether they could co-lead a workgroup.",
    ),
    TouchpointKind.EMAIL: (
        "Sent the draft data-sharing template for comment.",
        "Shared the new referral form and how to use it.",
        "Reminder about the monthly report.",
        "Sent the slides from the all-partner meeting.",
    ),
    TouchpointKind.VISIT: (
        "Site visit: met the coaches and saw the class space.",
        "Visited to plan a joint enrollment event.",
        "Met their new program manager on site.",
    ),
    TouchpointKind.MEETING: (
        "One-to-one on the coverage pilot.",
        "Planned the spring cohorts together.",
    ),
}


@dataclass(frozen=True)
class RoundPlan:
    """A self-assessment round every network ran. ``shift`` moves the phase-check scores up from the first
    round; ``answered_by`` is the last day answers came in so far (None: a closed round)."""

    instrument: str  # the instrument's code
    title: str
    opened_on: datetime.date
    closes_on: datetime.date
    shift: float = 0.0
    answered_by: datetime.date | None = None

    @property
    def closed(self) -> bool:
        return self.answered_by is None


# Two phase checks half a year apart and a relationship survey, each closed three weeks after it opened
# (by the daily job, the morning after its last day), and this autumn's phase check, still open.
ROUNDS = (
    RoundPlan(
        "phase-check", "Phase check, November 2025", datetime.date(2025, 11, 3), datetime.date(2025, 11, 24)
    ),
    RoundPlan(
        "phase-check",
        "Phase check, May 2026",
        datetime.date(2026, 5, 4),
        datetime.date(2026, 5, 25),
        shift=0.3,
    ),
    RoundPlan(
        "relationship-survey",
        "Partner relationship survey, June 2026",
        datetime.date(2026, 6, 1),
        datetime.date(2026, 6, 22),
    ),
    RoundPlan(
        "phase-check",
        "Phase check, November 2026",
        ANCHOR + datetime.timedelta(days=1),
        datetime.date(2026, 12, 15),
        shift=0.55,
        answered_by=datetime.date(2026, 11, 12),
    ),
)
# The daily job reminds partners that have not answered a week after the last e-mail, at 7 in the morning.
REMINDER_DAYS = (8, 15)
JOB_TIME = datetime.time(7, 0)

# Where the network stands on each phase-check item, around the network's own level.
PHASE_ITEM_LEVELS = {
    "shared_vision": 0.5,
    "leadership": 0.1,
    "financing": -0.6,
    "engagement": 0.2,
    "data": -0.3,
    "learning": -0.2,
}
CLOSENESS_BONUS = {
    Closeness.AWARENESS: -0.5,
    Closeness.COOPERATION: 0.0,
    Closeness.COORDINATION: 0.3,
    Closeness.INTEGRATION: 0.5,
}
SMALL_SECTORS = (S.COMMUNITY_BASED, S.FAITH_BASED, S.MEDIA, S.TRANSPORTATION, S.HOUSING, S.EDUCATION)


@dataclass(frozen=True)
class TiePlan:
    source: str
    target: str
    kind: str
    started_on: datetime.date
    ended_on: datetime.date | None
    note: str


@dataclass(frozen=True)
class AnswerPlan:
    submitted_at: datetime.datetime
    phase: str
    scores: dict[str, int]
    relationships: tuple[RelationshipAnswer, ...]


@dataclass(frozen=True)
class InvitationPlan:
    organization: str
    sent_at: datetime.datetime
    reminded_at: tuple[datetime.datetime, ...]
    answer: AnswerPlan | None


@dataclass
class _StateRows:
    """What partnership health needs of a state's demo: its plan, network, partners and engagement."""

    plan: StatePlan
    network: Network
    orgs: dict[str, Org]
    organizations: dict[str, Organization]
    memberships: dict[str, Membership]
    fading: set[str]  # partners drifting away (and those that left)
    isolated: set[str]  # partners no other partner works with
    user: Any  # the backbone staff user who records everything

    @property
    def current(self) -> list[str]:
        """Current partners, the backbone included, by name."""
        return sorted(name for name, org in self.orgs.items() if org.left_on is None)

    @property
    def department(self) -> str:
        return (self.plan.health_department or self.plan.backbone).name

    def member_on(self, name: str, day: datetime.date) -> bool:
        membership = self.memberships[name]
        return membership.joined_on <= day and (membership.left_on is None or membership.left_on > day)

    def is_big(self, name: str) -> bool:
        """The big health systems: hospitals and health centres everyone refers to or through."""
        org = self.orgs[name]
        return org.sector == S.HEALTH_CARE and (org.real or org.is_supplier)


@dataclass
class _Builder:
    """Writes the demo, keeping the rows it touched so it can count them."""

    stdout: TextIO | None
    new: Counter = field(default_factory=Counter)
    touched: dict[str, set[int]] = field(default_factory=dict)
    _hash_ok: dict[str, bool] = field(default_factory=dict)
    _demo_hash: str = ""

    def __post_init__(self) -> None:
        self.kinds = {kind.code: kind for kind in OrganizationKind.objects.all()}
        self.modes = {mode.code: mode for mode in DeliveryMode.objects.all()}
        self.populations = {population.code: population for population in PopulationOfFocus.objects.all()}
        self.county_fips: dict[str, list[str]] = {}
        for state_fips, fips, _name in reference.counties():
            self.county_fips.setdefault(state_fips, []).append(fips)
        self.instruments = {
            instrument.code: (instrument, [item.code for item in instrument.items.all()])
            for instrument in Instrument.objects.prefetch_related("items")
        }

    # Small upserts that write only what differs.

    def keep(self, obj: models.Model) -> models.Model:
        self.touched.setdefault(obj._meta.label, set()).add(obj.pk)
        return obj

    def upsert(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        create_with: dict[str, Any] | None = None,
    ) -> Any:
        """The row ``lookup`` finds, with ``values`` written if they differ; created if there is none."""
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model(**{**(lookup if create_with is None else create_with), **values})
            obj.full_clean()
            obj.save()
            self.new[model._meta.label] += 1
        else:
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            if changed:
                for name in changed:
                    setattr(obj, name, values[name])
                obj.full_clean()
                obj.save()
        return self.keep(obj)

    # The registry.

    def organization(self, plan: StatePlan, state: State, org: Org, code: str | None) -> Organization:
        rng = random.Random(f"tandem-demo:{plan.slug}:organization:{org.name}")
        all_fips = self.county_fips[state.fips]
        if org.real:
            fips = all_fips  # state health departments and backbones work statewide
        elif org.is_supplier:
            fips = rng.sample(all_fips, rng.randint(6, 12) if ONLINE in org.modes else rng.randint(2, 6))
        else:
            fips = rng.sample(all_fips, rng.randint(1, 4))
        # An organization renamed since the last run is still found by its DPRP organization code.
        existing = Organization.objects.filter(name=org.name, state=state).first()
        if existing is None and code:
            existing = Organization.objects.filter(dprp_org_code=code).first()
        lookup = {"pk": existing.pk} if existing else {"name": org.name, "state": state}
        organization = self.upsert(
            Organization,
            lookup,
            {
                "name": org.name,
                "state": state,
                "sector": org.sector,
                "recognition_status": org.status,
                "dprp_org_code": code,
                "website": _website(org),
                "description": _description(org, len(fips)),
            },
        )
        pool = [code for code in plan.populations if code not in org.populations]
        populations = sorted({*org.populations, *rng.sample(pool, rng.randint(1, 2))})
        organization.kinds.set([self.kinds[code] for code in org.kinds])
        organization.delivery_modes.set([self.modes[code] for code in org.modes])
        organization.populations_of_focus.set([self.populations[code] for code in populations])
        organization.counties_served.set(County.objects.filter(fips__in=fips))
        wanted = 1 if org.real or rng.random() < 0.5 else 2
        names: list[tuple[str, str]] = []
        while len(names) < wanted:
            name = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
            if name not in names:
                names.append(name)
        for index, (first, last) in enumerate(names):
            title_key = "supplier" if org.is_supplier and index == 0 else org.sector
            self.upsert(
                Contact,
                {"organization": organization, "name": f"{first} {last}"},
                {
                    "title": rng.choice(TITLES[title_key]),
                    "email": f"{first}.{last}@example.org".lower(),
                    "phone": f"({plan.area_code}) 555-01{rng.randint(0, 99):02d}",
                    "is_primary": index == 0,
                },
            )
        return organization

    # Membership.

    def membership(
        self, network: Network, organization: Organization, joined_on: datetime.date, org: Org, sharing: str
    ) -> Membership:
        latest = network.memberships.filter(organization=organization).order_by("-joined_on").first()
        if latest is None or (latest.left_on is not None and org.left_on is None):
            latest = services.membership_add(
                network=network,
                organization=organization,
                joined_on=joined_on,
                reports_monthly=org.is_supplier,
            )
            self.new[Membership._meta.label] += 1
        if latest.data_sharing != sharing:
            # The demo's partners "chose" their sharing; the history says the loader set it.
            services.membership_set_data_sharing(membership=latest, data_sharing=sharing, changed_by=None)
        if (latest.joined_on, latest.reports_monthly) != (joined_on, org.is_supplier):
            latest.joined_on, latest.reports_monthly = joined_on, org.is_supplier
            latest.save(update_fields=["joined_on", "reports_monthly"])
        if org.left_on and latest.left_on != org.left_on:
            services.membership_end(membership=latest, left_on=org.left_on)
        self.keep(latest)
        return latest

    # Users and roles.

    def password(self, encoded: str) -> str:
        """The demo password's hash: the user's own if it already checks, else one made once per run.

        Hashing is deliberately slow, so the demo hashes at most once, not once per user."""
        if encoded not in self._hash_ok:
            try:
                current = not identify_hasher(encoded).must_update(encoded)
            except ValueError:  # unusable or unknown
                current = False
            self._hash_ok[encoded] = current and check_password(PASSWORD, encoded)
        if self._hash_ok[encoded]:
            return encoded
        if not self._demo_hash:
            self._demo_hash = make_password(PASSWORD)
            self._hash_ok[self._demo_hash] = True
        return self._demo_hash

    def user(self, username: str, first: str, last: str, *, admin: bool = False) -> Any:
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        values = {
            "first_name": first,
            "last_name": last,
            "email": f"{username}@example.org",
            "is_staff": admin,
            "is_superuser": admin,
            "is_active": True,
            "password": self.password(user.password),
        }
        changed = [name for name, value in values.items() if getattr(user, name) != value]
        if user.pk is None:
            self.new[User._meta.label] += 1
        if changed or user.pk is None:
            for name, value in values.items():
                setattr(user, name, value)
            user.save()
        return self.keep(user)

    def role(self, user: Any, kind: str, scope: Network | Organization | State) -> None:
        before = Role.objects.filter(user=user, ended_at__isnull=True).count()
        self.keep(services.role_grant(user=user, kind=kind, scope=scope))
        self.new[Role._meta.label] += Role.objects.filter(user=user, ended_at__isnull=True).count() - before

    # Workgroups, meetings, contracts.

    def workgroup(self, network: Network, plan: WorkgroupPlan) -> Workgroup:
        workgroup = network.workgroups.filter(name__iexact=plan.name).first()
        if workgroup is None:
            self.new[Workgroup._meta.label] += 1
        if workgroup is None or (workgroup.name, workgroup.purpose) != (plan.name, plan.purpose):
            workgroup = services.workgroup_save(
                network=network, name=plan.name, purpose=plan.purpose, workgroup=workgroup
            )
        return self.keep(workgroup)

    def seat(self, workgroup: Workgroup, organization: Organization, co_leader: bool) -> WorkgroupSeat:
        existing = WorkgroupSeat.objects.filter(workgroup=workgroup, organization=organization).first()
        person = organization.contacts.filter(is_primary=True).first()
        if existing and (existing.is_co_leader, existing.person_id) == (co_leader, person and person.pk):
            return self.keep(existing)
        if existing is None:
            self.new[WorkgroupSeat._meta.label] += 1
        seat = services.workgroup_seat_set(
            workgroup=workgroup, organization=organization, is_co_leader=co_leader, person=person
        )
        return self.keep(seat)

    def meeting(
        self,
        network: Network,
        title: str,
        starts_at: datetime.datetime,
        location: str,
        workgroup: Workgroup | None,
        invited: list[Organization],
        attended: set[int] | None,
    ) -> Meeting:
        day = starts_at.replace(hour=0, minute=0)
        meeting = self.upsert(
            Meeting,
            {"network": network, "title": title, "starts_at__gte": day, "starts_at__lt": day + _DAY},
            {"starts_at": starts_at, "location": location, "workgroup": workgroup},
            create_with={"network": network, "title": title},
        )
        services.meeting_set_invitations(meeting=meeting, organizations=invited)
        if attended is not None:
            services.meeting_record_attendance(meeting=meeting, attended_ids=attended)
        return meeting

    def contract(
        self, network: Network, organization: Organization, plan: ContractPlan, rng: random.Random, user: Any
    ) -> Contract:
        stages, starts_on, ends_on = _contract_timeline(plan.pattern, rng)
        terms = {
            "purpose": plan.purpose,
            "amount": Decimal(plan.amount),
            "starts_on": starts_on,
            "ends_on": ends_on,
        }
        contract = network.contracts.filter(organization=organization, title=plan.title).first()
        if contract is None:
            planned_on = stages[0][1]
            contract = services.contract_create(
                network=network,
                organization=organization,
                title=plan.title,
                planned_on=planned_on,
                recorded_by=user,
                **terms,
            )
            self.new[Contract._meta.label] += 1
        elif any(getattr(contract, name) != value for name, value in terms.items()):
            services.contract_update(contract=contract, title=plan.title, **terms)  # type: ignore[arg-type]
        # Advance only past the stage the contract is at, so a run after someone moved it on changes nothing.
        for stage, reached_on, note in stages[1:]:
            if CONTRACT_STAGE_ORDER.index(stage) > CONTRACT_STAGE_ORDER.index(contract.stage):
                contract = services.contract_advance(
                    contract=contract, stage=stage, reached_on=reached_on, recorded_by=user, note=note
                )
        return self.keep(contract)

    # Partnership health.

    def tie(self, rows: _StateRows, plan: TiePlan) -> PartnerTie:
        source, target = rows.organizations[plan.source], rows.organizations[plan.target]
        key = {"network": rows.network, "source": source, "target": target, "kind": plan.kind}
        tie = PartnerTie.objects.filter(**key, started_on=plan.started_on).first()
        if tie is None and plan.ended_on is None:
            tie = PartnerTie.objects.filter(**key, ended_on__isnull=True).first()
        if tie is None:
            tie = ties.tie_record(
                network=rows.network,
                source=source,
                target=target,
                kind=plan.kind,
                started_on=plan.started_on,
                note=plan.note,
            )
            self.new[PartnerTie._meta.label] += 1
        if (tie.started_on, tie.note) != (plan.started_on, plan.note):
            tie.started_on, tie.note = plan.started_on, plan.note
            tie.save(update_fields=["started_on", "note"])
        if tie.ended_on != plan.ended_on:
            if tie.ended_on is None:
                ties.tie_end(tie=tie, ended_on=plan.ended_on)  # type: ignore[arg-type]
            else:
                tie.ended_on = plan.ended_on
                tie.save(update_fields=["ended_on"])
        return self.keep(tie)

    def touchpoint(self, rows: _StateRows, name: str, day: datetime.date, kind: str, note: str) -> Touchpoint:
        organization = rows.organizations[name]
        touchpoint = Touchpoint.objects.filter(
            network=rows.network, organization=organization, happened_on=day, kind=kind
        ).first()
        if touchpoint is None:
            touchpoint = engagement.touchpoint_record(
                network=rows.network,
                organization=organization,
                happened_on=day,
                kind=kind,
                note=note,
                recorded_by=rows.user,
                today=ANCHOR,
            )
            self.new[Touchpoint._meta.label] += 1
        elif (touchpoint.note, touchpoint.recorded_by_id) != (note, rows.user.pk):
            touchpoint.note, touchpoint.recorded_by = note, rows.user
            touchpoint.save(update_fields=["note", "recorded_by"])
        return self.keep(touchpoint)

    def assessment_round(
        self, rows: _StateRows, plan: RoundPlan, instrument: Instrument, invitations: list[InvitationPlan]
    ) -> AssessmentRound:
        """The round with its invitations and answers. The answers go in through the service while the
        round is open (it refuses them after), then the round is closed as the daily job would have.
        Rows are written directly where the services would e-mail or look at the clock."""
        zone = ZoneInfo(rows.plan.time_zone)
        assessment_round = self.upsert(
            AssessmentRound,
            {"network": rows.network, "instrument": instrument, "title": plan.title},
            {
                "opened_at": _at(plan.opened_on, datetime.time(9, 0), zone),
                "closes_on": plan.closes_on,
                "opened_by": rows.user,
            },
        )
        ids = {
            invitation.organization: rows.organizations[invitation.organization].pk
            for invitation in invitations
        }
        emails: dict[int, str] = {}
        for organization_id, email in (
            Contact.objects.filter(organization_id__in=ids.values())
            .exclude(email="")
            .order_by("organization_id", "-is_primary", "name", "pk")
            .values_list("organization_id", "email")
        ):
            emails.setdefault(organization_id, email)
        existing = {
            invitation.organization_id: invitation for invitation in assessment_round.invitations.all()
        }
        given = _answers_given(assessment_round)
        to_submit: list[tuple[AssessmentInvitation, AnswerPlan]] = []
        for invitation_plan in invitations:
            organization_id = ids[invitation_plan.organization]
            reminded = invitation_plan.reminded_at
            values = {
                "email": emails[organization_id],
                "token": _token(rows.plan, plan, invitation_plan.organization),
                "sent_at": invitation_plan.sent_at,
                "last_reminded_at": reminded[-1] if reminded else None,
                "reminders_sent": len(reminded),
            }
            invitation = existing.get(organization_id)
            if invitation is None:
                invitation = AssessmentInvitation.objects.create(
                    round=assessment_round, organization_id=organization_id, **values
                )
                self.new[AssessmentInvitation._meta.label] += 1
            elif changed := [name for name, value in values.items() if getattr(invitation, name) != value]:
                for name in changed:
                    setattr(invitation, name, values[name])
                invitation.save(update_fields=changed)
            self.keep(invitation)
            answer = invitation_plan.answer
            if answer is None:
                if invitation.submitted_at is not None or invitation.phase or invitation.pk in given:
                    invitation.relationships.all().delete()
                    invitation.scores.all().delete()
                    invitation.submitted_at, invitation.phase = None, ""
                    invitation.save(update_fields=["submitted_at", "phase"])
            elif (invitation.submitted_at, invitation.phase) != (
                answer.submitted_at,
                answer.phase,
            ) or given.get(invitation.pk) != _as_given(answer):
                to_submit.append((invitation, answer))
        if to_submit and assessment_round.closed_at is not None:
            assessment_round.closed_at = None  # reopened, to take the answers the demo brings back
            assessment_round.save(update_fields=["closed_at"])
        for invitation, answer in to_submit:
            assessment_response_submit(
                invitation=invitation,
                scores=answer.scores,
                phase=answer.phase,
                relationships=answer.relationships,
                now=answer.submitted_at,
            )
            self.new[SurveyRelationship._meta.label] += len(answer.relationships)
            self.new[ItemScore._meta.label] += len(answer.scores) + sum(
                len(relationship.scores) for relationship in answer.relationships
            )
        closed_at = _at(plan.closes_on + _DAY, JOB_TIME, zone) if plan.closed else None
        if assessment_round.closed_at is None and closed_at is not None:
            assessment_round_close(assessment_round=assessment_round, now=closed_at)
        if assessment_round.closed_at != closed_at:
            assessment_round.closed_at = closed_at
            assessment_round.save(update_fields=["closed_at"])
        return assessment_round

    def say(self, line: str) -> None:
        if self.stdout is not None:
            self.stdout.write(line + "\n")


_DAY = datetime.timedelta(days=1)


def _contract_timeline(
    pattern: str, rng: random.Random
) -> tuple[list[tuple[str, datetime.date, str]], datetime.date | None, datetime.date | None]:
    """The stages a contract of ``pattern`` went through, with realistic delays, and its term."""

    def days(low: int, high: int) -> datetime.timedelta:
        return datetime.timedelta(days=rng.randint(low, high))

    def review_note(waited: datetime.timedelta) -> str:
        return "Waited on legal review of the data-sharing terms." if waited.days > 90 else ""

    stage = ContractStage
    if pattern == "planned":
        return [(stage.PLANNED, ANCHOR - days(10, 40), "")], None, None
    if pattern == "stuck_drafting":
        drafting = ANCHOR - days(75, 150)
        return [(stage.PLANNED, drafting - days(14, 45), ""), (stage.DRAFTING, drafting, "")], None, None
    if pattern == "stuck_review":
        review = ANCHOR - days(70, 200)
        drafting = review - days(20, 60)
        return (
            [
                (stage.PLANNED, drafting - days(7, 30), ""),
                (stage.DRAFTING, drafting, ""),
                (stage.IN_REVIEW, review, "Sent to the partner's legal counsel."),
            ],
            None,
            None,
        )
    executed = {"executed": ANCHOR - days(90, 200), "amended": ANCHOR - days(380, 480)}.get(
        pattern, ANCHOR - days(700, 760)
    )
    waited = days(30, 200)
    review = executed - waited
    drafting = review - days(14, 60)
    stages = [
        (stage.PLANNED, drafting - days(7, 45), ""),
        (stage.DRAFTING, drafting, ""),
        (stage.IN_REVIEW, review, ""),
        (stage.EXECUTED, executed, review_note(waited)),
    ]
    starts_on = executed + days(1, 30)
    ends_on = starts_on + datetime.timedelta(days=729 if pattern == "amended" else 364)
    if pattern == "amended":
        stages.append((stage.AMENDED, executed + days(90, 240), "Scope widened to two more counties."))
    elif pattern == "ended":
        stages.append((stage.ENDED, ends_on, "Work completed."))
    return stages, starts_on, ends_on


def _dprp_codes(plan: StatePlan, state: State) -> dict[str, str]:
    """Five-digit DPRP organization codes: the state's FIPS code, then three digits unique in the state."""
    suppliers = [org.name for org in plan.partners if org.is_supplier]
    digits = _rng(plan, "dprp").sample(range(100, 1000), len(suppliers))
    return {name: f"{state.fips}{number}" for name, number in zip(suppliers, digits, strict=True)}


def _weekday(day: datetime.date) -> datetime.date:
    """The day, or the Monday after it when it falls on a weekend."""
    return day + datetime.timedelta(days=7 - day.weekday() if day.weekday() >= 5 else 0)


def _at(day: datetime.date, time: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=zone)


def _tie_plans(rows: _StateRows) -> list[TiePlan]:
    """The ties the backbone recorded among current partners: referrals to suppliers from clinics,
    pharmacies, community organizations and awareness campaigns; funding from the health department,
    payers, funders and employers; data shared with the backbone and its data partners; suppliers
    delivering the program with community, faith-based and other community partners. A few have ended
    (those of fading partners first); the isolated have none."""
    plan, orgs = rows.plan, rows.orgs
    rng = _rng(plan, "ties")
    backbone, department = plan.backbone.name, rows.department
    current = [name for name in rows.current if name not in rows.isolated]
    suppliers = [name for name in current if orgs[name].is_supplier]
    in_person = [name for name in suppliers if {IN_PERSON, COMBINATION} & set(orgs[name].modes)]
    notes: dict[tuple[str, str, str], str] = {}

    def add(source: str, target: str, kind: str, topic: str = "") -> None:
        if source != target:
            notes.setdefault((source, target, kind), TIE_NOTES.get((kind, topic)) or TIE_NOTES[(kind, "")])

    def has(name: str, kind: str) -> bool:
        return kind in orgs[name].kinds

    for name in current:
        if has(name, "referral_source") or has(name, "advocacy"):
            topic = orgs[name].sector if has(name, "referral_source") else "advocacy"
            targets = [supplier for supplier in suppliers if supplier != name]
            for target in rng.sample(targets, min(len(targets), 1 if rng.random() < 0.6 else 2)):
                add(name, target, TieKind.REFERRALS, topic)
    if backbone != department:
        add(department, backbone, TieKind.FUNDING, "backbone")
    for contract in plan.contracts:
        if contract.pattern in ("executed", "amended") and contract.organization in current:
            add(department, contract.organization, TieKind.FUNDING, "contract")
    for name in current:
        if name not in (backbone, department) and (has(name, "payer") or has(name, "funder")):
            for target in rng.sample(suppliers, min(len(suppliers), rng.randint(1, 2))):
                add(name, target, TieKind.FUNDING, orgs[name].sector)
        elif has(name, "employer"):
            add(name, rng.choice(suppliers), TieKind.FUNDING, "employer")
    for name in suppliers:
        if rng.random() < 0.6:
            add(name, backbone, TieKind.DATA_SHARING, "report")
    for name in current:
        if name != backbone and has(name, "data_partner"):
            if orgs[name].sector == S.ACADEMIC:
                add(backbone, name, TieKind.DATA_SHARING, S.ACADEMIC)
            else:
                add(name, backbone, TieKind.DATA_SHARING)
    for name in current:
        if has(name, "community_partner") and not orgs[name].is_supplier:
            add(rng.choice(in_person), name, TieKind.CO_DELIVERY, orgs[name].sector)

    keys = list(notes)
    if len(keys) > 33:
        kept = set(rng.sample(keys, 33))
        keys = [key for key in keys if key in kept]
    # A few ties ended, those of fading partners first, but none that was a partner's last: the isolated
    # partners stay the only ones.
    endable = [key for key in keys if not {backbone, department} & set(key[:2])]
    of_fading = [key for key in endable if rows.fading & set(key[:2])]
    others = rng.sample([key for key in endable if key not in of_fading], len(endable) - len(of_fading))
    degree = Counter(name for key in keys for name in key[:2])
    ended: list[tuple[str, str, str]] = []
    ending = rng.randint(2, 3)
    for key in [*of_fading, *others]:
        if len(ended) < ending and degree[key[0]] > 1 and degree[key[1]] > 1:
            ended.append(key)
            degree.subtract(key[:2])
    plans = []
    for key in keys:
        source, target, kind = key
        earliest = max(rows.memberships[source].joined_on, rows.memberships[target].joined_on) + _DAY * 30
        if key in ended:
            started_on = _date_between(rng, earliest, ANCHOR - _DAY * 300)
            ended_on = _date_between(rng, started_on + _DAY * 120, ANCHOR - _DAY * 20)
            note = rng.choice(TIE_ENDED_NOTES)
        else:
            started_on, ended_on, note = _date_between(rng, earliest, ANCHOR - _DAY * 45), None, notes[key]
        plans.append(TiePlan(source, target, kind, started_on, ended_on, note))
    return plans


def _touchpoint_plans(rows: _StateRows) -> list[tuple[str, datetime.date, str, str]]:
    """(partner, day, kind, note) of the backbone's calls, e-mails and visits: a few in the last six
    months with most partners, more with the close ones, and nothing since spring with fading partners."""
    rng = _rng(rows.plan, "touchpoints")
    planned: dict[tuple[str, datetime.date, str], str] = {}
    for name in rows.current:
        if name == rows.plan.backbone.name:
            continue
        if name in rows.fading:
            offsets = [rng.randint(200, 330)] if rng.random() < 0.6 else []
        elif rows.orgs[name].real or name in rows.plan.partner_users:
            offsets = rng.sample(range(2, 182), rng.randint(2, 5))
        else:
            offsets = rng.sample(range(2, 182), 0 if rng.random() < 0.1 else rng.randint(1, 4))
        for offset in sorted(offsets, reverse=True):
            kind = rng.choices(TOUCHPOINT_KINDS, TOUCHPOINT_KIND_WEIGHTS)[0]
            note = rng.choice(TOUCHPOINT_NOTES[kind])
            planned.setdefault((name, _weekday(ANCHOR - _DAY * offset), kind), note)
    return [(*key, note) for key, note in planned.items()]


@dataclass(frozen=True)
class _Traits:
    """What every round of a state draws on: the network's level in the phase check, how each partner
    sees it, and how well the others think of each partner."""

    level: float
    item_levels: dict[str, float]
    bias: dict[str, float]
    standing: dict[str, float]


def _traits(rows: _StateRows) -> _Traits:
    rng = _rng(rows.plan, "assessment traits")
    level = rng.uniform(2.3, 2.8)
    item_levels = {code: lean + rng.uniform(-0.2, 0.2) for code, lean in PHASE_ITEM_LEVELS.items()}
    bias = {name: rng.gauss(0, 0.35) for name in sorted(rows.orgs)}
    standing = {}
    for name in sorted(rows.orgs):
        value = rng.uniform(2.4, 3.2)
        if name == rows.plan.backbone.name:
            value = 3.4
        elif name == rows.department:
            value = 3.2
        elif rows.is_big(name):
            value += 0.2
        standing[name] = value - (0.5 if name in rows.fading else 0.0)
    return _Traits(level, item_levels, bias, standing)


def _answer_chance(rows: _StateRows, name: str, plan: RoundPlan, first: bool) -> float:
    survey = plan.instrument == instruments.RELATIONSHIP_SURVEY["code"]
    if name in rows.isolated:
        chance = 0.0 if survey else 0.2
    elif name in rows.fading:
        chance = 0.7 if first else 0.25
    elif rows.orgs[name].real or name in rows.plan.partner_users:
        chance = 0.97
    else:
        chance = 0.85
    return chance if plan.closed else chance * 0.6


def _rating_lean(rows: _StateRows, name: str, code: str) -> float:
    """How a partner's ratings lean on one relationship-survey item: the powerful bring influence and
    resources, fading partners are hardly involved."""
    org = rows.orgs[name]
    powerful = (
        name in (rows.plan.backbone.name, rows.department)
        or rows.is_big(name)
        or bool({"payer", "funder"} & set(org.kinds))
    )
    if code == "power_influence":
        return 0.4 if powerful else -0.3 if org.sector in SMALL_SECTORS else 0.0
    if code == "resources":
        return 0.3 if powerful else 0.0
    if code == "involvement":
        return -0.7 if name in rows.fading else 0.2 if name == rows.plan.backbone.name else 0.0
    return 0.0


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _invitation_plans(
    rows: _StateRows,
    plan: RoundPlan,
    first: bool,
    item_codes: list[str],
    traits: _Traits,
    tie_plans: list[TiePlan],
) -> list[InvitationPlan]:
    """Every partner of the network on the day the round opened, with its reminders and its answer:
    phase checks whose scores rise a little from round to round, mostly placing the network in the Earlier
    phase; relationship surveys naming 3 to 8 partners, the backbone and big health systems most."""
    rng = _rng(rows.plan, f"assessment:{plan.instrument}:{plan.opened_on}")
    zone = ZoneInfo(rows.plan.time_zone)
    sent_at = _at(plan.opened_on, datetime.time(9, 2), zone)
    last_day = plan.answered_by or plan.closes_on
    reminders = [
        _at(plan.opened_on + _DAY * days, JOB_TIME, zone)
        for days in REMINDER_DAYS
        if plan.opened_on + _DAY * days <= last_day
    ]
    survey = plan.instrument == instruments.RELATIONSHIP_SURVEY["code"]
    working_with: dict[str, set[str]] = {}
    for tie in tie_plans:
        if ties.tie_is_current(started_on=tie.started_on, ended_on=tie.ended_on, on=plan.opened_on):
            working_with.setdefault(tie.source, set()).add(tie.target)
            working_with.setdefault(tie.target, set()).add(tie.source)

    def weight(name: str, respondent: str) -> float:
        if name == rows.plan.backbone.name:
            base = 8.0
        elif name == rows.department:
            base = 5.0
        elif rows.is_big(name):
            base = 4.0
        else:
            base = 2.0 if rows.orgs[name].is_supplier else 1.0
        if name in rows.fading:
            base *= 0.4
        return base + (4.0 if name in working_with.get(respondent, ()) else 0.0)

    plans = []
    for name in sorted(rows.orgs):
        if not rows.member_on(name, plan.opened_on):
            continue
        answers = rng.random() < _answer_chance(rows, name, plan, first)
        offset = min(int(rng.expovariate(1 / 4)), (last_day - plan.opened_on).days)
        hour = rng.randint(10 if offset == 0 else 8, 16)
        submitted_at = _at(plan.opened_on + _DAY * offset, datetime.time(hour, rng.randint(0, 59)), zone)
        if not answers:
            answer = None
        elif survey:
            candidates = [other for other in rows.current if other != name and other not in rows.isolated]
            keyed = sorted(
                candidates, key=lambda other: rng.random() ** (1 / weight(other, name)), reverse=True
            )
            named = sorted(keyed[: min(len(keyed), rng.randint(3, 8))])
            relationships = []
            for other in named:
                if other in working_with.get(name, ()):
                    closeness = rng.choices(Closeness.values[1:], (2, 5, 3))[0]
                else:
                    closeness = rng.choices(Closeness.values, (3, 4.5, 2, 0.5))[0]
                level = traits.standing[other] + CLOSENESS_BONUS[closeness]
                scores = {
                    code: _clamp(level + _rating_lean(rows, other, code) + rng.gauss(0, 0.5), 1, 4)
                    for code in item_codes
                }
                relationships.append(RelationshipAnswer(rows.organizations[other].pk, closeness, scores))
            answer = AnswerPlan(submitted_at, "", {}, tuple(relationships))
        else:
            level = traits.level + traits.bias[name] + plan.shift
            scores = {
                code: _clamp(level + traits.item_levels.get(code, 0.0) + rng.gauss(0, 0.55), 1, 5)
                for code in item_codes
            }
            # Partners who score the network higher place it further along: Middle from about 3.1 on.
            seen_as = sum(scores.values()) / len(scores) + rng.gauss(0, 0.35)
            phase = Phase.LATER if seen_as >= 4.2 else Phase.MIDDLE if seen_as >= 3.1 else Phase.EARLIER
            answer = AnswerPlan(submitted_at, phase, scores, ())
        reminded = tuple(at for at in reminders if answer is None or at < answer.submitted_at)
        plans.append(InvitationPlan(name, sent_at, reminded, answer))
    return plans


Given = tuple[dict[str, int], dict[int, tuple[str, dict[str, int]]]]


def _answers_given(assessment_round: AssessmentRound) -> dict[int, Given]:
    """Each answered invitation's own scores, and the closeness and scores of each partner it named."""
    named = {
        pk: (invitation_id, partner_id, closeness)
        for pk, invitation_id, partner_id, closeness in SurveyRelationship.objects.filter(
            invitation__round=assessment_round
        ).values_list("pk", "invitation_id", "partner_id", "closeness")
    }
    given: dict[int, Given] = {}
    for invitation_id, partner_id, closeness in named.values():
        given.setdefault(invitation_id, ({}, {}))[1][partner_id] = (closeness, {})
    for invitation_id, relationship_id, code, score in ItemScore.objects.filter(
        invitation__round=assessment_round
    ).values_list("invitation_id", "relationship_id", "item__code", "score"):
        scores, relationships = given.setdefault(invitation_id, ({}, {}))
        if relationship_id is None:
            scores[code] = score
        else:
            relationships[named[relationship_id][1]][1][code] = score
    return given


def _as_given(answer: AnswerPlan) -> Given:
    return (
        dict(answer.scores),
        {r.partner_id: (r.closeness, dict(r.scores)) for r in answer.relationships},
    )


def _token(plan: StatePlan, round_plan: RoundPlan, name: str) -> str:
    """A demo invitation's secret link: the same on every run, and keyed with the site's SECRET_KEY, so
    only someone who knows that key can work it out."""
    key = f"{plan.slug}:{round_plan.instrument}:{round_plan.opened_on}:{name}"
    return hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()


def _build_state(builder: _Builder, plan: StatePlan) -> None:
    state = State.objects.get(code=plan.code)
    codes = _dprp_codes(plan, state)
    orgs = {org.name: org for org in (plan.backbone, plan.health_department, *plan.partners) if org}
    organizations = {
        name: builder.organization(plan, state, org, codes.get(name)) for name, org in orgs.items()
    }
    backbone = organizations[plan.backbone.name]
    health_department = organizations[(plan.health_department or plan.backbone).name]
    network = builder.upsert(
        Network,
        {"slug": plan.slug},
        {
            "name": plan.network_name,
            "state": state,
            "backbone": backbone,
            "backbone_model": plan.backbone_model,
            "state_health_department": health_department,
        },
    )

    # Membership: the backbone and state health department from the start, the others through 2022-2023.
    rng = _rng(plan, "membership")
    sharing_of_users = {
        plan.partner_users[0]: DataSharing.BACKBONE_AND_STATE,
        plan.partner_users[1]: DataSharing.BACKBONE_ONLY,
    }
    memberships: dict[str, Membership] = {}
    for name, org in orgs.items():
        if org.real:
            joined_on = _date_between(rng, datetime.date(2022, 1, 3), datetime.date(2022, 1, 31))
            sharing = DataSharing.BACKBONE_AND_STATE
        else:
            joined_on = _date_between(rng, datetime.date(2022, 2, 1), datetime.date(2023, 12, 15))
            sharing = rng.choice(DataSharing.values)
        sharing = sharing_of_users.get(name, sharing)
        memberships[name] = builder.membership(network, organizations[name], joined_on, org, sharing)

    # Users: backbone staff, state viewer, and partner staff of two suppliers.
    rng = _rng(plan, "users")
    backbone_user = builder.user(f"backbone-{plan.slug}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
    builder.role(backbone_user, RoleKind.BACKBONE_STAFF, network)
    viewer = builder.user(f"state-{plan.slug}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
    builder.role(viewer, RoleKind.STATE_VIEWER, state)
    for number, name in enumerate(plan.partner_users, start=1):
        partner = builder.user(
            f"partner-{plan.slug}-{number}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        )
        builder.role(partner, RoleKind.PARTNER_STAFF, organizations[name])

    # Workgroups: the plan's co-leaders, the backbone, and a few more current partners as members.
    rng = _rng(plan, "workgroups")
    current = sorted(name for name, org in orgs.items() if org.left_on is None and name != backbone.name)
    seats: dict[str, list[Organization]] = {}
    workgroups: list[Workgroup] = []
    for wg in plan.workgroups:
        workgroup = builder.workgroup(network, wg)
        workgroups.append(workgroup)
        members = rng.sample([name for name in current if name not in wg.co_leaders], wg.members)
        for name in wg.co_leaders:
            builder.seat(workgroup, organizations[name], co_leader=True)
        for name in [backbone.name, *members]:
            builder.seat(workgroup, organizations[name], co_leader=False)
        seats[wg.name] = [organizations[name] for name in sorted({backbone.name, *wg.co_leaders, *members})]

    # Engagement: most partners come to most meetings; some fade away, one hardly ever comes.
    rng = _rng(plan, "engagement")
    ordinary = [name for name in current if not orgs[name].real and name not in plan.partner_users]
    fading = {*rng.sample(ordinary, 2), *(name for name, org in orgs.items() if org.left_on)}
    rare = rng.choice([name for name in ordinary if name not in fading])
    base = {name: rng.uniform(0.7, 0.95) for name in sorted(orgs)}

    def comes(name: str, month_index: int) -> bool:
        if orgs[name].real:
            return rng.random() < 0.97
        if name in fading:
            chance = 0.9 - 0.08 * month_index
        elif name == rare:
            chance = 0.15
        else:
            chance = base[name]
        return rng.random() < chance

    zone = ZoneInfo(plan.time_zone)
    for index, (year, month) in enumerate(MEETING_MONTHS):
        day = _nth_weekday(year, month, 1, 2)  # the second Tuesday
        past = day < ANCHOR
        invited = [
            organizations[name]
            for name in sorted(orgs)
            if memberships[name].joined_on <= day
            and (orgs[name].left_on is None or orgs[name].left_on >= day)
        ]
        attended = {org.pk for org in invited if comes(org.name, index)} if past else None
        location = (
            "Video call (link in the invitation)" if month % 3 else f"{plan.capital}: {backbone.name} offices"
        )
        starts_at = datetime.datetime(year, month, day.day, 10, 0, tzinfo=zone)
        builder.meeting(network, "All-partner meeting", starts_at, location, None, invited, attended)
        for number, workgroup in enumerate(workgroups):
            if (index + number) % 2:
                continue  # workgroups meet every other month
            day = _nth_weekday(
                year, month, 3, 3
            )  # the third Thursday (the fourth is Thanksgiving in November)
            past = day < ANCHOR
            invited = seats[workgroup.name]
            attended = {org.pk for org in invited if comes(org.name, index)} if past else None
            starts_at = datetime.datetime(year, month, day.day, 13, 0, tzinfo=zone)
            title = f"{workgroup.name} workgroup"
            builder.meeting(
                network, title, starts_at, "Video call (link in the invitation)", workgroup, invited, attended
            )

    rng = _rng(plan, "contracts")
    for contract in plan.contracts:
        builder.contract(network, organizations[contract.organization], contract, rng, backbone_user)

    # Partnership health: ties among partners, the backbone's touchpoints, and self-assessment rounds.
    # Isolated: the partner that hardly ever comes, unless it co-leads or has a contract, and sometimes
    # another partner with neither.
    rng = _rng(plan, "isolated")
    busy = {
        *(name for wg in plan.workgroups for name in wg.co_leaders),
        *(c.organization for c in plan.contracts),
    }
    others = [name for name in ordinary if name not in {*fading, rare, *busy}]
    isolated = {rare} - busy
    isolated.update(rng.sample(others, rng.randint(1 - len(isolated), 1)))
    rows = _StateRows(plan, network, orgs, organizations, memberships, fading, isolated, backbone_user)
    tie_plans = _tie_plans(rows)
    for tie in tie_plans:
        builder.tie(rows, tie)
    for touchpoint in _touchpoint_plans(rows):
        builder.touchpoint(rows, *touchpoint)
    traits = _traits(rows)
    for index, round_plan in enumerate(ROUNDS):
        instrument, item_codes = builder.instruments[round_plan.instrument]
        invitations = _invitation_plans(rows, round_plan, index == 0, item_codes, traits, tie_plans)
        builder.assessment_round(rows, round_plan, instrument, invitations)


def _check(plan: StatePlan) -> None:
    """Catch a slip in the data above before it becomes a half-built demo."""
    orgs = {org.name: org for org in (plan.backbone, plan.health_department, *plan.partners) if org}
    current = {name for name, org in orgs.items() if org.left_on is None}
    problems = [
        f"{name} is not a current partner"
        for wg in plan.workgroups
        for name in wg.co_leaders
        if name not in current
    ]
    problems += [f"{name} is not a supplier" for name in plan.partner_users if not orgs[name].is_supplier]
    problems += [f"{c.organization} is not a partner" for c in plan.contracts if c.organization not in orgs]
    if len(orgs) != len(plan.partners) + 1 + (plan.health_department is not None):
        problems.append("two organizations share a name")
    if problems:
        raise ValueError(f"The {plan.slug} demo plan is wrong: {'; '.join(problems)}.")


def build_demo(stdout: TextIO | None = None) -> dict[str, int]:
    """Build (or bring back) the Bright Spot Initiative demo and return how many rows of each kind it has.

    Idempotent: a second run finds every row by its natural key and changes nothing.
    """
    with transaction.atomic():
        # A flushed database (`manage.py flush`, a transactional test) has lost the reference lists.
        reference.load(apps.get_model)
        instruments.load(apps.get_model)
        builder = _Builder(stdout)
        admin = builder.user("admin", "Alex", "Morgan", admin=True)
        for plan in STATES:
            _check(plan)
            _build_state(builder, plan)
        networks = Network.objects.filter(slug__in=[plan.slug for plan in STATES])
        organization_ids = builder.touched[Organization._meta.label]
        user_ids = builder.touched[get_user_model()._meta.label]
        counts = {
            "networks": networks.count(),
            "organizations": len(organization_ids),
            "suppliers": Organization.objects.filter(pk__in=organization_ids, kinds__code="supplier").count(),
            "contacts": Contact.objects.filter(organization__in=organization_ids).count(),
            "memberships": Membership.objects.filter(network__in=networks).count(),
            "current memberships": Membership.objects.current().filter(network__in=networks).count(),
            "workgroups": Workgroup.objects.filter(network__in=networks).count(),
            "workgroup seats": WorkgroupSeat.objects.filter(workgroup__network__in=networks).count(),
            "meetings": Meeting.objects.filter(network__in=networks).count(),
            "invitations": Attendance.objects.filter(meeting__network__in=networks).count(),
            "contracts": Contract.objects.filter(network__in=networks).count(),
            "contract stage changes": ContractStageChange.objects.filter(
                contract__network__in=networks
            ).count(),
            "ties": PartnerTie.objects.filter(network__in=networks).count(),
            "touchpoints": Touchpoint.objects.filter(network__in=networks).count(),
            "assessment rounds": AssessmentRound.objects.filter(network__in=networks).count(),
            "assessment invitations": AssessmentInvitation.objects.filter(
                round__network__in=networks
            ).count(),
            "answers": AssessmentInvitation.objects.filter(
                round__network__in=networks, submitted_at__isnull=False
            ).count(),
            "partners named": SurveyRelationship.objects.filter(
                invitation__round__network__in=networks
            ).count(),
            "item scores": ItemScore.objects.filter(invitation__round__network__in=networks).count(),
            "users": len(user_ids),
            "roles": Role.objects.filter(user__in=user_ids, ended_at__isnull=True).count(),
        }
    new = sum(builder.new.values())
    builder.say(f"Bright Spot Initiative demo: {', '.join(f'{n} {what}' for what, n in counts.items())}.")
    builder.say(
        f"{new} new rows this run. Every demo user's password is {PASSWORD!r}; "
        f"{admin.username} is the site administrator."
    )
    return counts
