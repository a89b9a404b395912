"""How organizations work together: networks, membership, roles, workgroups, meetings, contracts."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.calendar import member_in, month_end, month_of
from partners.models import Contact, Organization, State


class BackboneModel(models.TextChoices):
    SHD_SELF = "shd_self", "The state health department is its own backbone"
    EXTERNAL = "external", "An external organization is the backbone"


class Network(models.Model):
    """A partner network in one state, coordinated by a backbone organization."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="networks")
    backbone = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="backbone_of",
        verbose_name="backbone organization",
    )
    backbone_model = models.CharField(max_length=20, choices=BackboneModel.choices)
    state_health_department = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="health_department_of",
        null=True,
        blank=True,
        help_text="The state health department that funds or leads the network.",
    )
    contract_stage_alert_days = models.PositiveSmallIntegerField(
        "days in one contract stage before an alert",
        default=60,
        help_text="Contracts longer than this in one stage before execution are flagged as delayed.",
    )
    report_due_day = models.PositiveSmallIntegerField(
        "monthly reports due on day",
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="A month's report is due on this day of the following month.",
    )
    report_lock_days = models.PositiveSmallIntegerField(
        "days late before a month locks",
        default=30,
        help_text=(
            "After this many days past the due day a month takes no changes until backbone staff reopen it."
        ),
    )
    suppression_threshold = models.PositiveSmallIntegerField(
        "smallest count published",
        default=11,
        validators=[MinValueValidator(11)],
        help_text=(
            "Counts from 1 to one less than this are suppressed in every aggregate shown to someone who "
            "may not see the partners' identified figures. Never below 11 (the CMS cell-size rule)."
        ),
    )
    completeness_threshold = models.PositiveSmallIntegerField(
        "share of expected reports that completes a month (%)",
        default=100,
        validators=[MinValueValidator(50), MaxValueValidator(100)],
        help_text=(
            "Progress toward the goals counts a month once this share of the reports expected for it are "
            "approved (or say there was nothing to report); later months are shown as provisional. 100 % "
            "waits for every partner; lower it (not below 50 %) if one late partner should not hold the "
            "network's figures back."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["state__name", "name"]
        permissions = [
            ("manage_network", "Manage the network and see its partners' identified figures"),
        ]

    def __str__(self) -> str:
        return self.name


class DataSharing(models.TextChoices):
    """How far a partner's identified figures travel."""

    BACKBONE_ONLY = "backbone_only", "Backbone organization only"
    BACKBONE_AND_STATE = "backbone_and_state", "Backbone organization and state health department"


class MembershipQuerySet(models.QuerySet):
    def current(self) -> "MembershipQuerySet":
        """Memberships not ended: the network's partners today."""
        return self.filter(left_on__isnull=True)

    def during(self, first: datetime.date, last: datetime.date | None = None) -> "MembershipQuerySet":
        """Memberships for any day of the months from ``first``'s to ``last``'s (``first``'s alone by
        default): the rule of `Membership.is_member_in`, in SQL."""
        return self.filter(joined_on__lte=month_end(last or first)).filter(
            Q(left_on__isnull=True) | Q(left_on__gte=month_of(first))
        )


class Membership(models.Model):
    """An organization's membership of a network, from its joined date to its left date."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    data_sharing = models.CharField(
        "identified figures shared with",
        max_length=20,
        choices=DataSharing.choices,
        default=DataSharing.BACKBONE_ONLY,
    )
    outcomes_shared = models.BooleanField(
        "program outcomes shared",
        default=False,
        help_text=(
            "Whether the partner's retention and outcomes, read from its DPRP files, count in the network's "
            "and the state's figures and reach those who see its identified figures. Off until the partner "
            "chooses it."
        ),
    )
    named_publicly = models.BooleanField(
        "named on the public scorecard",
        default=False,
        help_text="Whether the network's public scorecard may name the partner. Off until it chooses so.",
    )
    reports_monthly = models.BooleanField(
        "reports monthly",
        default=False,
        help_text="Whether the partner is expected to submit monthly enrollment reports.",
    )
    notes = models.TextField(blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "organization"],
                condition=Q(left_on__isnull=True),
                name="one_current_membership_per_network",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} in {self.network}"

    @property
    def is_current(self) -> bool:
        return self.left_on is None

    def is_member_in(self, month: datetime.date) -> bool:
        """A member for any day of ``month``: the one rule reports, reminders and completeness use."""
        return member_in(self.joined_on, self.left_on, month)

    @property
    def data_sharing_short(self) -> str:
        shared_with_state = self.data_sharing == DataSharing.BACKBONE_AND_STATE
        return "Backbone and state" if shared_with_state else "Backbone only"


class ChoiceChange(models.Model):
    """When a partner's choice changed and who changed it (None: Tandem's own loaders)."""

    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the demo loader set it, or when the user was deleted.",
    )

    class Meta:
        abstract = True
        ordering = ["membership", "-changed_at", "-id"]


class DataSharingChange(ChoiceChange):
    """One change of a partner's data-sharing choice: who made it, when, from what to what.

    Written only by `network.services.membership_set_data_sharing`; rows are never edited or deleted,
    so the state's access to a partner's identified figures can be traced back to the partner's word.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="sharing_changes")
    from_sharing = models.CharField("from", max_length=20, choices=DataSharing.choices)
    to_sharing = models.CharField("to", max_length=20, choices=DataSharing.choices)

    def __str__(self) -> str:
        return (
            f"{self.membership}: {self.get_from_sharing_display()} → {self.get_to_sharing_display()} "
            f"on {self.changed_at:%Y-%m-%d %H:%M}"
        )


class PartnerChoice(models.TextChoices):
    """The partner's two yes-or-no choices beside its data sharing, each off until it says yes."""

    OUTCOMES_SHARED = "outcomes_shared", "Program outcomes shared with the network"
    NAMED_PUBLICLY = "named_publicly", "Named on the network's public scorecard"


class PartnerChoiceChange(ChoiceChange):
    """One change of a partner's yes-or-no choice (`PartnerChoice`): who made it, when, and to what.

    Written only by `network.services.membership_set_choices`, never edited or deleted, as
    `DataSharingChange` is for data sharing: whatever is shown of the partner traces back to its word.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="choice_changes")
    choice = models.CharField(max_length=20, choices=PartnerChoice.choices)
    to_value = models.BooleanField("to", help_text="Yes when the partner switched the choice on.")

    def __str__(self) -> str:
        when = f"{self.changed_at:%Y-%m-%d %H:%M}"
        return f"{self.membership}: {self.get_choice_display()} {self.to_words} on {when}"

    @property
    def to_words(self) -> str:
        return "switched on" if self.to_value else "switched off"


class RoleKind(models.TextChoices):
    BACKBONE_STAFF = "backbone_staff", "Backbone staff"
    PARTNER_STAFF = "partner_staff", "Partner staff"
    STATE_VIEWER = "state_viewer", "State viewer"


class Role(models.Model):
    """A user's role: in a network (backbone staff), an organization (partner staff) or a state.

    Rows are never deleted: ending a role sets ``ended_at`` and `network.services.role_end` takes the
    matching object permissions back.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=20, choices=RoleKind.choices)
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    state = models.ForeignKey(State, on_delete=models.CASCADE, null=True, blank=True, related_name="roles")
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "started_at"]
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_kind",
                condition=(
                    Q(
                        kind="backbone_staff",
                        network__isnull=False,
                        organization__isnull=True,
                        state__isnull=True,
                    )
                    | Q(
                        kind="partner_staff",
                        network__isnull=True,
                        organization__isnull=False,
                        state__isnull=True,
                    )
                    | Q(
                        kind="state_viewer",
                        network__isnull=True,
                        organization__isnull=True,
                        state__isnull=False,
                    )
                ),
            ),
            # One current role per user and scope (one constraint per scope: NULLs never collide).
            *(
                models.UniqueConstraint(
                    fields=["user", scope],
                    condition=Q(ended_at__isnull=True, kind=kind),
                    name=f"one_current_{kind}_role",
                )
                for kind, scope in [
                    ("backbone_staff", "network"),
                    ("partner_staff", "organization"),
                    ("state_viewer", "state"),
                ]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_kind_display()} of {self.scope}"

    @property
    def scope(self) -> Network | Organization | State:
        return self.network or self.organization or self.state  # type: ignore[return-value]

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class RoleInvitation(models.Model):
    """An e-mailed invitation to a role in a network: backbone staff of it, or partner staff of one of its
    partners. Its link (`network.people`) makes an account with that role once the person chooses a
    password; it works once, for ``INVITATION_DAYS`` after it was last sent. Sending again replaces the
    earlier link, so only the latest works."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="role_invitations")
    email = models.EmailField("e-mail address")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    kind = models.CharField(
        max_length=20,
        choices=[
            (RoleKind.BACKBONE_STAFF, RoleKind.BACKBONE_STAFF.label),
            (RoleKind.PARTNER_STAFF, RoleKind.PARTNER_STAFF.label),
        ],
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="role_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(
        help_text="When the link now in force was made: an earlier one no longer works."
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    role = models.ForeignKey(Role, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="role_invitation_scope_matches_kind",
                condition=Q(kind="backbone_staff", organization__isnull=True)
                | Q(kind="partner_staff", organization__isnull=False),
            ),
            # One pending invitation per address and role: inviting again sends the same one anew.
            models.UniqueConstraint(
                fields=["network", "email"],
                condition=Q(accepted_at__isnull=True, withdrawn_at__isnull=True, kind="backbone_staff"),
                name="one_pending_backbone_invitation",
            ),
            models.UniqueConstraint(
                fields=["network", "email", "organization"],
                condition=Q(accepted_at__isnull=True, withdrawn_at__isnull=True, kind="partner_staff"),
                name="one_pending_partner_invitation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_kind_display()} of {self.organization or self.network}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None


class Workgroup(models.Model):
    """A group of partners working on one part of the common agenda."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="workgroups")
    name = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["network", "name"], name="unique_workgroup_name")]

    def __str__(self) -> str:
        return self.name


class WorkgroupSeat(models.Model):
    """A seat an organization holds in a workgroup, as member or co-leader."""

    workgroup = models.ForeignKey(Workgroup, on_delete=models.CASCADE, related_name="seats")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workgroup_seats")
    person = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="workgroup_seats",
        help_text="Who sits in the workgroup for the organization.",
    )
    is_co_leader = models.BooleanField("co-leader", default=False)

    class Meta:
        ordering = ["-is_co_leader", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["workgroup", "organization"], name="one_seat_per_organization")
        ]

    def __str__(self) -> str:
        return f"{self.organization} in {self.workgroup}"


class Meeting(models.Model):
    """A meeting of the network or one of its workgroups."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="meetings")
    workgroup = models.ForeignKey(
        Workgroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True, help_text="A room, an address or a video link.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"


class Attendance(models.Model):
    """An organization invited to a meeting, and whether it came (unknown until recorded)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="attendance")
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "organization"], name="one_attendance_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.organization} at {self.meeting}"


class ContractStage(models.TextChoices):
    """The contract pipeline, in order."""

    PLANNED = "planned", "Planned"
    DRAFTING = "drafting", "Drafting"
    IN_REVIEW = "in_review", "In review"
    EXECUTED = "executed", "Executed"
    AMENDED = "amended", "Amended"
    ENDED = "ended", "Ended"


CONTRACT_STAGE_ORDER: list[str] = [stage.value for stage in ContractStage]


class Contract(models.Model):
    """A contract between the network's backbone (or state) and a partner.

    ``stage`` is the latest stage reached; it is written only by `network.services.contract_advance`,
    together with the `ContractStageChange` row that dates it.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="contracts")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="contracts")
    title = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="In US dollars."
    )
    stage = models.CharField(max_length=20, choices=ContractStage.choices, default=ContractStage.PLANNED)
    starts_on = models.DateField("work starts", null=True, blank=True)
    ends_on = models.DateField("work ends", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name", "title"]

    def __str__(self) -> str:
        return f"{self.title} — {self.organization}"


class ContractStageChange(models.Model):
    """The date a contract reached a stage of the pipeline."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="stage_changes")
    stage = models.CharField(max_length=20, choices=ContractStage.choices)
    reached_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["reached_on", "id"]

    def __str__(self) -> str:
        return f"{self.contract}: {self.get_stage_display()} on {self.reached_on}"


class TieKind(models.TextChoices):
    REFERRALS = "referrals", "Referrals"
    DATA_SHARING = "data_sharing", "Data sharing"
    FUNDING = "funding", "Funding"
    CO_DELIVERY = "co_delivery", "Co-delivery of the program"


class PartnerTie(models.Model):
    """A working tie the backbone recorded between two partners (referrals, data, money, delivery)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="ties")
    source = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="ties_out")
    target = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="ties_in")
    kind = models.CharField(max_length=20, choices=TieKind.choices)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["source__name", "target__name"]
        constraints = [
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="tie_between_two_partners"),
            models.UniqueConstraint(
                fields=["network", "source", "target", "kind"],
                condition=Q(ended_on__isnull=True),
                name="one_current_tie_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.get_kind_display()})"


class TouchpointKind(models.TextChoices):
    CALL = "call", "Phone call"
    EMAIL = "email", "E-mail"
    VISIT = "visit", "Visit"
    MEETING = "meeting", "One-to-one meeting"
    OTHER = "other", "Other"


class Touchpoint(models.Model):
    """A contact between the backbone and a partner outside network meetings."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="touchpoints")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="touchpoints")
    happened_on = models.DateField()
    kind = models.CharField(max_length=20, choices=TouchpointKind.choices, default=TouchpointKind.CALL)
    note = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-happened_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.organization} on {self.happened_on}"


class InstrumentKind(models.TextChoices):
    PHASE_CHECK = "phase_check", "Partnership phase check"
    RELATIONSHIP_SURVEY = "relationship_survey", "Partner relationship survey"


class Instrument(models.Model):
    """A self-assessment questionnaire, stored as data so that more can be added."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=InstrumentKind.choices)
    description = models.TextField(blank=True)
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=5)
    scale_labels = models.JSONField(
        default=dict, blank=True, help_text='What the scores mean, e.g. {"1": "Not at all", "5": "Fully"}.'
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstrumentItem(models.Model):
    """One question of an instrument. In a relationship survey each item rates a named partner; its
    domain groups items into the figures shown (e.g. "trust", "value")."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(max_length=40)
    domain = models.CharField(max_length=60)
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["instrument", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["instrument", "code"], name="unique_item_code")]

    def __str__(self) -> str:
        return self.text


class AssessmentRound(models.Model):
    """A round of one instrument in one network, open from ``opened_at`` until it closes."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="assessment_rounds")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="rounds")
    title = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    closes_on = models.DateField(help_text="The last day partners can answer.")
    closed_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.title


class Phase(models.TextChoices):
    """Developmental phases of multisector partnerships (ReThink Health Pulse Check)."""

    EARLIER = "earlier", "Earlier phase"
    MIDDLE = "middle", "Middle phase"
    LATER = "later", "Later phase"


class AssessmentInvitation(models.Model):
    """A partner's invitation to answer a round, reached by the secret link e-mailed to its contact.
    One response per partner and round: the answers hang off the invitation."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="invitations")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="assessment_invitations"
    )
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(
        "phase the partner places the network in", max_length=10, choices=Phase.choices, blank=True
    )

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "organization"], name="one_invitation_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.organization} in {self.round}"


class Closeness(models.TextChoices):
    """How closely two partners work together, from least to most."""

    AWARENESS = "awareness", "Awareness"
    COOPERATION = "cooperation", "Cooperation"
    COORDINATION = "coordination", "Coordination"
    INTEGRATION = "integration", "Integration"


class SurveyRelationship(models.Model):
    """In a relationship survey: a partner the respondent works with, and how closely."""

    invitation = models.ForeignKey(
        AssessmentInvitation, on_delete=models.CASCADE, related_name="relationships"
    )
    partner = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="named_in_surveys")
    closeness = models.CharField(max_length=20, choices=Closeness.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitation", "partner"], name="one_relationship_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.invitation.organization} → {self.partner}: {self.get_closeness_display()}"


class ItemScore(models.Model):
    """A score for one item; in a relationship survey, for one named partner."""

    invitation = models.ForeignKey(AssessmentInvitation, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(InstrumentItem, on_delete=models.CASCADE, related_name="scores")
    relationship = models.ForeignKey(
        SurveyRelationship, on_delete=models.CASCADE, null=True, blank=True, related_name="scores"
    )
    score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "item"],
                condition=Q(relationship__isnull=True),
                name="one_score_per_item",
            ),
            models.UniqueConstraint(
                fields=["relationship", "item"],
                condition=Q(relationship__isnull=False),
                name="one_score_per_item_and_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code}: {self.score}"


class NetworkUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Network, on_delete=models.CASCADE)


class NetworkGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Network, on_delete=models.CASCADE)
