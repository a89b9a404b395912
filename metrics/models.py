"""What partners report: the catalogue of measures and breakdowns, monthly reports and their versions,
file uploads, the participant sessions a DPRP file leaves behind, and reminders."""

import datetime

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q

from core.calendar import is_locked
from network.models import Network
from partners.models import County, Organization, State


class Measure(models.Model):
    """Something counted each month: referrals, enrollments, active participants, ..."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Breakdown(models.Model):
    """A way to split a measure into groups (race, sex, county, ...); `total` has the one group `all`."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    by_county = models.BooleanField(
        default=False, help_text="Its categories are the counties of the network's state, and unknown."
    )

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """One group of a breakdown. County categories carry their county, so a network uses its state's."""

    breakdown = models.ForeignKey(Breakdown, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    county = models.OneToOneField(
        County, on_delete=models.CASCADE, null=True, blank=True, related_name="report_category"
    )

    class Meta:
        ordering = ["breakdown", "order", "code"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["breakdown", "code"], name="unique_category_code")]

    def __str__(self) -> str:
        return f"{self.breakdown.code}: {self.name}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for correction"


# The statuses each transition starts from: the services refuse any other, and the report page offers
# a button only where one applies (`metrics.selectors.report_actions`).
SUBMITTABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
APPROVABLE = (ReportStatus.SUBMITTED,)
RETURNABLE = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


class MonthlyReport(models.Model):
    """One organization's report to one network for one month. Its figures live in versions; the
    latest version is ``current_version`` and every earlier one is kept."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="monthly_reports")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="monthly_reports")
    month = models.DateField(help_text="The first day of the month reported.")
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    current_version = models.ForeignKey(
        "ReportVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the month was first submitted: on time or late."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    reopened_until = models.DateField(
        null=True, blank=True, help_text="A locked month reopened by backbone staff takes changes until then."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "network", "month"], name="one_report_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="report_month_is_first_day"),
        ]
        indexes = [models.Index(fields=["network", "month"])]

    def __str__(self) -> str:
        return f"{self.organization}, {self.month:%B %Y}"


def month_locked(
    network: Network, month: datetime.date, report: MonthlyReport | None, today: datetime.date
) -> bool:
    """`core.calendar.is_locked` for a month and its report, if there is one: a reopening lets changes
    in until its date, and a report returned for correction takes them until it is sent again."""
    return is_locked(
        network,
        month,
        report.reopened_until if report else None,
        today,
        returned=report is not None and report.status == ReportStatus.RETURNED,
    )


class ReportSource(models.TextChoices):
    FORM = "form", "Form"
    TANDEM_CSV = "tandem_csv", "Tandem CSV file"
    DPRP_FILE = "dprp_file", "DPRP participant file"
    API = "api", "API"
    NOTHING = "nothing", "Nothing to report"
    DEMO = "demo", "Demo data"


class ReportVersion(models.Model):
    """The figures of a report as sent once. A correction is a new version; none is ever changed."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=20, choices=ReportSource.choices)
    nothing_to_report = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    upload = models.ForeignKey(
        "Upload", on_delete=models.SET_NULL, null=True, blank=True, related_name="versions"
    )

    class Meta:
        ordering = ["report", "-number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="unique_version_number")]

    def __str__(self) -> str:
        return f"{self.report}, version {self.number}"


class ReportValue(models.Model):
    """One count of a version: a measure for one category of one breakdown."""

    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="values")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "measure", "category"], name="one_value_per_cell")
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}/{self.category_id}: {self.count}"


class ReportAction(models.TextChoices):
    SAVED = "saved", "Saved a draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for correction"
    REOPENED = "reopened", "Reopened the month"


class ReportEvent(models.Model):
    """Who did what to a report, and when: the report's history."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(
        ReportVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    action = models.CharField(max_length=20, choices=ReportAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["report", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.report}: {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class ReopenRequest(models.Model):
    """A partner asks the network's backbone staff to reopen a locked month (from a file that left it
    as it was, say). Open until backbone staff reopen the month; at most one open a month."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="reopen_requests")
    month = models.DateField()
    report = models.ForeignKey(
        MonthlyReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="reopen_requests"
    )
    upload = models.ForeignKey(
        "Upload", on_delete=models.SET_NULL, null=True, blank=True, related_name="reopen_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="When the month was reopened.")

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "month"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_reopen_request",
            )
        ]
        indexes = [models.Index(fields=["network", "resolved_at"])]

    def __str__(self) -> str:
        return f"Reopen {self.organization_id}, {self.month:%Y-%m}, asked {self.requested_at:%Y-%m-%d}"


class UploadFormat(models.TextChoices):
    TANDEM = "tandem", "Tandem CSV template"
    DPRP = "dprp", "DPRP participant file"


class UploadStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be read"
    READING = "reading", "Being read"
    READY = "ready", "Ready to save"
    REFUSED = "refused", "Refused: problems found"
    SAVED = "saved", "Saved"
    DISCARDED = "discarded", "Discarded"


def upload_storage() -> Storage:
    """Where uploaded files wait to be read (``UPLOAD_STORAGE``): the database, by default."""
    return storages["uploads"]


class StoredFile(models.Model):
    """An uploaded file waiting to be read, for `metrics.storage.DatabaseStorage`."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    stored_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.size:,} bytes)"


class Upload(models.Model):
    """A file a partner uploaded: read (in the background when large), previewed, then saved or
    discarded. A DPRP file is deleted once read: only what the counts need is kept.

    While it is queued or read, ``heartbeat_at`` is its last sign of life (queued, claimed, each
    stretch of rows read) and ``read_attempts`` counts the claims: the periodic sweep
    (`metrics.uploads.upload_sweep`) sends again an upload whose message was lost, and takes over one
    whose reader died."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="uploads")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="uploads")
    format = models.CharField(max_length=10, choices=UploadFormat.choices)
    status = models.CharField(max_length=10, choices=UploadStatus.choices, default=UploadStatus.QUEUED)
    file = models.FileField(upload_to="uploads/%Y/%m/", blank=True, storage=upload_storage)
    filename = models.CharField(max_length=255)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    submit = models.BooleanField(default=True, help_text="Submit the months when saved (else drafts).")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    read_attempts = models.PositiveSmallIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    result = models.JSONField(
        default=dict, blank=True, help_text="What was read: the months and their counts."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The sweep looks only at uploads still queued, being read or ready, however many are done.
        indexes = [models.Index(fields=["status", "created_at"], name="upload_status_created")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class SessionAttended(models.Model):
    """A session a participant attended, as Tandem keeps it from a DPRP file: a one-way hash of the
    participant, the date, and the breakdown categories the counts need. Nothing else of the file."""

    participant = models.CharField(max_length=64, help_text="HMAC-SHA256 of the DPRP participant ID.")
    session_date = models.DateField()
    race = models.CharField(max_length=20)
    ethnicity = models.CharField(max_length=20)
    sex = models.CharField(max_length=20)
    age_group = models.CharField(max_length=20)
    payer = models.CharField(max_length=20)
    delivery_mode = models.CharField(max_length=20)
    # What the outcome measures of the DPRP Standards need (`metrics.outcomes`), nothing more: the
    # session's weight (pounds), physical activity (minutes that week) and A1C (%), where recorded, and
    # the edition of the Standards of the file the session was read from.
    weight = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    activity_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    a1c = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    edition = models.CharField(max_length=4, blank=True, db_default="")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.participant[:8]}… on {self.session_date}"


class ParticipantSession(SessionAttended):
    """A session of an organization's participant, from the DPRP files it saved. One row per
    participant and day, so the same or an overlapping file counts nobody twice."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="participant_sessions"
    )
    upload = models.ForeignKey(Upload, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "participant", "session_date"], name="one_session_per_day"
            )
        ]
        indexes = [models.Index(fields=["organization", "session_date"])]


class UploadSession(SessionAttended):
    """A session read from a DPRP file that is not saved yet: what `ParticipantSession` will hold once
    the partner saves the file (or nothing, once it is discarded). Written in one bulk load when the
    file is read, moved in one statement when it is saved."""

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="sessions_read")


class CohortCount(models.Model):
    """How many of an organization's participants who started in a month (its cohort) did something
    the retention and outcome measures count (`metrics.outcomes`), in all and by breakdown category.
    Written only by `metrics.outcomes` from `ParticipantSession`; counts, never participants."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cohort_counts")
    cohort_month = models.DateField(help_text="The month of the participants' first session.")
    measure = models.CharField(max_length=40)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "cohort_month", "measure", "category"], name="one_cohort_count"
            )
        ]

    def __str__(self) -> str:
        cohort = f"{self.organization_id} {self.cohort_month:%Y-%m}"
        return f"{cohort} {self.measure}/{self.category_id}: {self.count}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Due soon"
    MISSING = "missing", "Missing"


class ReportReminder(models.Model):
    """A reminder sent about one month of one partner: at most one of each kind."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "month", "kind"], name="one_reminder_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder to {self.organization_id} for {self.month:%Y-%m}"


class ReminderOptOut(models.Model):
    """A partner staff user who asked for no reporting reminders."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_opt_out"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"No reminders for user {self.user_id}"


# The partner figures: what each report's current approved version says, read where it is stored.


class PartnerFigure(models.Model):
    """One partner's approved count for a month, measure and category: a value of its report's current
    version while the report is approved. A database view over the reports and their values (made by
    migration 0007), not a copy: nothing to keep in step, nothing to rebuild, and the 12 million values
    of a national network are stored once. Read-only."""

    network = models.ForeignKey(Network, on_delete=models.DO_NOTHING, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.DO_NOTHING, related_name="+")
    month = models.DateField()
    measure = models.ForeignKey(Measure, on_delete=models.DO_NOTHING, related_name="+")
    breakdown = models.ForeignKey(Breakdown, on_delete=models.DO_NOTHING, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING, related_name="+")
    count = models.BigIntegerField()

    class Meta:
        managed = False
        db_table = "metrics_partnerfigure"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m} {self.measure_id}/{self.category_id}: {self.count}"


# Rollups: the approved counts summed by network and state for dashboards. Written only by
# `metrics.rollups`.


class RollupNetworkMonth(models.Model):
    """A network's approved count for a month, measure and category: the sum over its partners."""

    # No index of each key's own: the unique and the composite index below serve every read, and each
    # index more is written with every row a rollup or a rebuild inserts.
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="+", db_index=False)
    breakdown = models.ForeignKey(Breakdown, on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", db_index=False)
    count = models.BigIntegerField()
    partners = models.PositiveIntegerField(help_text="How many partners' approved reports it sums.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "month", "measure", "category"], name="one_network_rollup"
            )
        ]
        indexes = [models.Index(fields=["network", "measure", "breakdown", "month"])]

    def __str__(self) -> str:
        return f"{self.network_id} {self.month:%Y-%m} {self.measure_id}/{self.category_id}: {self.count}"


class RollupStateMonth(models.Model):
    """A state's approved count for a month, measure and category: the sum over its networks."""

    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="+", db_index=False)
    breakdown = models.ForeignKey(Breakdown, on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", db_index=False)
    count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["state", "month", "measure", "category"], name="one_state_rollup")
        ]
        indexes = [models.Index(fields=["state", "measure", "breakdown", "month"])]

    def __str__(self) -> str:
        return f"{self.state_id} {self.month:%Y-%m} {self.measure_id}/{self.category_id}: {self.count}"


class RollupPending(models.Model):
    """A change to a report whose rollup has not run since: written in the change's own transaction,
    deleted by the rollup that read the change. A row left for minutes means the rollup's message was
    lost (the broker was down when the change committed, or a worker died mid-task), and the sweep
    (`metrics.rollups.rollup_sweep`) runs that rollup again. Rows are only added and deleted, never
    updated, so a submission never waits for a rollup to write one."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Rollup of report {self.report_id} pending since {self.changed_at:%Y-%m-%d %H:%M}"


class RollupFreshness(models.Model):
    """When a network's rollups were last brought up to date, for the dashboards to say."""

    network = models.OneToOneField(Network, on_delete=models.CASCADE, related_name="rollup_freshness")
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.network_id} at {self.refreshed_at:%Y-%m-%d %H:%M}"
