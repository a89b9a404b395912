"""The partner registry: organizations, where they work, whom they serve, and whom to call."""

from django.core.exceptions import ValidationError
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class State(models.Model):
    """A U.S. state (or D.C.); networks and state viewers belong to one."""

    code = models.CharField("postal code", max_length=2, unique=True)
    fips = models.CharField("FIPS code", max_length=2, unique=True)
    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        permissions = [("view_state_networks", "View the networks of the state")]

    def __str__(self) -> str:
        return self.name


class County(models.Model):
    """A county (or equivalent) by its five-digit FIPS code."""

    fips = models.CharField("FIPS code", max_length=5, unique=True)
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="counties")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["state__name", "name"]
        verbose_name_plural = "counties"

    def __str__(self) -> str:
        return f"{self.name} ({self.fips})"


class Sector(models.TextChoices):
    HEALTH_CARE = "health_care", "Health care"
    PUBLIC_HEALTH = "public_health", "Public health"
    PAYER = "payer", "Payer (insurer)"
    EMPLOYER = "employer", "Employer"
    COMMUNITY_BASED = "community_based", "Community-based organization"
    FAITH_BASED = "faith_based", "Faith-based organization"
    EDUCATION = "education", "Education"
    HOUSING = "housing", "Housing"
    TRANSPORTATION = "transportation", "Transportation"
    MEDIA = "media", "Media"
    BUSINESS = "business", "Business"
    GOVERNMENT = "government", "Government"
    ACADEMIC = "academic", "Academic and research"


class RecognitionStatus(models.TextChoices):
    """CDC Diabetes Prevention Recognition Program (DPRP) recognition of a supplier."""

    NOT_APPLICABLE = "not_applicable", "Not a program supplier"
    APPLYING = "applying", "Preparing to apply"
    PENDING = "pending", "Pending recognition"
    PRELIMINARY = "preliminary", "Preliminary recognition"
    FULL = "full", "Full recognition"
    FULL_PLUS = "full_plus", "Full Plus recognition"


# Organizations that do not (yet) deliver the program: everyone else is a supplier.
NON_SUPPLIER_STATUSES = [RecognitionStatus.NOT_APPLICABLE, RecognitionStatus.APPLYING]


class LookupModel(models.Model):
    """A short, administrator-extendable list of choices an organization can have several of."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganizationKind(LookupModel):
    """What an organization does for the network: supplier, referral source, payer, funder, ..."""


class DeliveryMode(LookupModel):
    """How a supplier delivers the lifestyle change program (DPRP DMODE codes)."""


class PopulationOfFocus(LookupModel):
    """A population experiencing inequities that an organization serves."""

    class Meta(LookupModel.Meta):
        verbose_name_plural = "populations of focus"


class Organization(models.Model):
    """An organization that is (or may become) a partner in one or more networks."""

    name = models.CharField(max_length=200)
    state = models.ForeignKey(
        State,
        on_delete=models.PROTECT,
        related_name="organizations",
        help_text="The state where the organization is based; its counties served are in this state.",
    )
    sector = models.CharField(max_length=30, choices=Sector.choices)
    kinds = models.ManyToManyField(OrganizationKind, blank=True, related_name="organizations")
    recognition_status = models.CharField(
        "CDC recognition status",
        max_length=20,
        choices=RecognitionStatus.choices,
        default=RecognitionStatus.NOT_APPLICABLE,
    )
    dprp_org_code = models.CharField(
        "DPRP organization code",
        max_length=25,
        unique=True,
        null=True,
        blank=True,
        help_text="The ORGCODE this organization uses in its Diabetes Prevention Recognition Program files.",
    )
    delivery_modes = models.ManyToManyField(DeliveryMode, blank=True, related_name="organizations")
    counties_served = models.ManyToManyField(County, blank=True, related_name="organizations")
    populations_of_focus = models.ManyToManyField(PopulationOfFocus, blank=True, related_name="organizations")
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("submit_report", "Submit monthly reports for the organization")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # An empty code means "none", and must not collide with other organizations' empty codes.
        if self.dprp_org_code is not None:
            self.dprp_org_code = self.dprp_org_code.strip() or None

    @property
    def is_supplier(self) -> bool:
        return self.recognition_status not in NON_SUPPLIER_STATUSES


class Contact(models.Model):
    """A person to reach at an organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField("primary contact", default=False)

    class Meta:
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"

    def clean(self) -> None:
        if not self.email and not self.phone:
            raise ValidationError("Give an e-mail address or a phone number, so the contact can be reached.")


# django-guardian grants on the root objects, in direct foreign-key tables (fast joins, real FKs).
class OrganizationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class StateUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(State, on_delete=models.CASCADE)


class StateGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(State, on_delete=models.CASCADE)
