"""Forms for networks: membership, the partner directory's filters, and the network's work."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from core.ids import ModelMultipleIdsField
from network.models import Attendance, Contract, ContractStage, Meeting, Membership, Network, Workgroup
from partners.models import Contact, County, Organization, OrganizationKind, PopulationOfFocus, Sector


class DateInput(forms.DateInput):
    """A native date picker: keyboard- and screen-reader-friendly, no JavaScript of ours."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class MembershipForm(forms.ModelForm):
    """The backbone's record of a partner's part in the network. Data sharing is not in it: the
    partner decides that on its own organization's page."""

    class Meta:
        model = Membership
        fields = ["joined_on", "left_on", "reports_monthly", "notes"]
        widgets = {
            "joined_on": DateInput,
            "left_on": DateInput,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "left_on": "Leave empty while the organization is a partner.",
        }


class DataSharingForm(forms.ModelForm):
    """The partner's own choices: how far its identified figures travel, whether its program outcomes
    are shared with the network, and whether the network's public scorecard names it."""

    class Meta:
        model = Membership
        fields = ["data_sharing", "outcomes_shared", "named_publicly"]
        widgets = {"data_sharing": forms.RadioSelect}
        labels = {
            "outcomes_shared": "Share our program outcomes (retention and outcomes from our DPRP files) "
            "with the network",
            "named_publicly": "Name us on the network's public scorecard",
        }
        help_texts = {
            "outcomes_shared": "DPRP files are the participant files you send to CDC's Diabetes Prevention "
            "Recognition Program. When this is ticked, how many of your participants stay in the program "
            "and reach its outcomes count in the network's figures, and those who see your identified "
            "figures (above) see yours; when it is not, only your own staff see them.",
            "named_publicly": "The public scorecard, which anyone may read, then lists your organization's "
            "name and sector among the partners. It never shows your own figures: only the network's "
            "totals, with small counts hidden.",
        }


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label="Name or DPRP organization code", required=False, max_length=200)
    sector = forms.ChoiceField(label="Sector", required=False, choices=[("", "Any sector"), *Sector.choices])
    kind = forms.ChoiceField(label="Kind", required=False)
    county = forms.ChoiceField(label="County served", required=False)
    population = forms.ChoiceField(label="Population of focus", required=False)

    def __init__(self, *args: object, state_id: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = [
            ("", "Any kind"),
            *OrganizationKind.objects.values_list("code", "name"),
        ]
        self.fields["population"].choices = [
            ("", "Any population"),
            *PopulationOfFocus.objects.values_list("code", "name"),
        ]
        self.fields["county"].choices = [
            ("", "Any county"),
            *County.objects.filter(state_id=state_id).values_list("fips", "name"),
        ]


# The network's work: workgroups and their seats, meetings and attendance, contracts.


class DateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker, in the site's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class WorkgroupForm(forms.Form):
    name = forms.CharField(max_length=200)
    purpose = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The part of the common agenda the workgroup works on, and what it decides.",
    )


class WorkgroupSeatForm(forms.Form):
    """Give a partner a seat in a workgroup, or change the seat it holds."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label="Partner organization", empty_label="Choose a partner"
    )
    person = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="Who sits in the workgroup (optional)",
        help_text="One of the organization's contacts. Add contacts on the partner's page.",
    )
    is_co_leader = forms.BooleanField(
        required=False,
        label="Co-leader",
        help_text="Co-leaders share the lead. Aim for three or more co-leaders, from different sectors.",
    )

    def __init__(self, *args: Any, partners: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = partners
        contacts = Contact.objects.filter(organization__in=partners).select_related("organization")
        self.fields["person"].queryset = contacts
        # Group the contacts by organization in the list; the queryset still decides what is valid.
        grouped: dict[str, list[tuple[int, str]]] = {}
        for contact in contacts.order_by("organization__name", "name"):
            grouped.setdefault(contact.organization.name, []).append((contact.pk, contact.name))
        self.fields["person"].choices = [("", "Nobody named yet"), *grouped.items()]


class SeatRoleForm(forms.Form):
    """Make a seat's holder co-leader, or a member again."""

    is_co_leader = forms.TypedChoiceField(
        choices=[("1", "Co-leader"), ("0", "Member")], coerce=lambda value: value == "1"
    )


class MeetingForm(forms.ModelForm):
    invited = ModelMultipleIdsField(
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Organizations invited",
        help_text="Current partners. At first every partner, or the workgroup's seats, is ticked.",
    )

    class Meta:
        model = Meeting
        fields = ["title", "starts_at", "location", "workgroup", "notes"]
        labels = {"starts_at": "Date and time", "workgroup": "Workgroup (optional)"}
        help_texts = {"workgroup": "Leave empty for a meeting of the whole network."}
        widgets = {"starts_at": DateTimeInput, "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(
        self, *args: Any, workgroups: QuerySet[Workgroup], invitable: QuerySet[Organization], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workgroup"].queryset = workgroups
        self.fields["workgroup"].empty_label = "The whole network"
        self.fields["invited"].queryset = invitable


class AttendanceForm(forms.Form):
    """A checkbox per invited organization: ticked if it came."""

    attended = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Organizations that came",
        help_text="Tick every organization that was at the meeting; the others are recorded as absent.",
    )

    def __init__(self, *args: Any, attendance: list[Attendance], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(row.organization_id, row.organization.name) for row in attendance]
        self.fields["attended"].initial = [row.organization_id for row in attendance if row.attended]


class ContractForm(forms.ModelForm):
    """A contract's terms."""

    amount = forms.DecimalField(
        label="Amount in US dollars", required=False, min_value=0, max_digits=12, decimal_places=2
    )

    class Meta:
        model = Contract
        fields = ["title", "purpose", "amount", "starts_on", "ends_on"]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "starts_on": DateInput,
            "ends_on": DateInput,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The work cannot end before it starts.")
        return cleaned


class ContractCreateForm(ContractForm):
    """A new contract: with which partner, its terms, and when it was planned."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label="Partner organization", empty_label="Choose a partner"
    )
    planned_on = forms.DateField(
        label="Planned on", widget=DateInput, help_text="The date the contract entered the pipeline."
    )

    field_order = ["organization", "title", "purpose", "amount", "starts_on", "ends_on", "planned_on"]

    def __init__(self, *args: Any, partners: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = partners


class ContractAdvanceForm(forms.Form):
    """Record that a contract reached a later stage of the pipeline, and when."""

    stage = forms.ChoiceField(label="New stage", choices=ContractStage.choices)
    reached_on = forms.DateField(label="Date the stage was reached", widget=DateInput)
    note = forms.CharField(
        max_length=255, required=False, help_text="For example who signed, or what held the contract up."
    )


class NetworkSettingsForm(forms.ModelForm):
    """What backbone staff set for their network: reporting dates, when a month counts, suppression."""

    class Meta:
        model = Network
        fields = [
            "report_due_day",
            "report_lock_days",
            "completeness_threshold",
            "suppression_threshold",
            "contract_stage_alert_days",
        ]


class PersonInviteForm(forms.Form):
    """Backbone staff invite a person to a role in their network: theirs, or a current partner's staff."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=150,
        help_text="The invitation goes to this address; for a new account it becomes the user name.",
    )
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    kind = forms.ChoiceField(label="Role", widget=forms.RadioSelect)
    organization = forms.ModelChoiceField(
        label="Partner",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="Choose a partner",
        help_text="For partner staff: the organization whose reports they submit.",
        error_messages={"invalid_choice": "Choose one of the network's current partners."},
    )

    def __init__(self, *args: Any, network: Network, partners: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("partner_staff", "Partner staff: submit and correct one partner's monthly reports"),
            ("backbone_staff", f"Backbone staff: manage {network.name} and see every partner's reports"),
        ]
        self.fields["organization"].queryset = partners

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        missing = not cleaned.get("organization") and "organization" not in self.errors
        if cleaned.get("kind") == "partner_staff" and missing:
            self.add_error("organization", "Choose the partner whose staff the person joins.")
        if cleaned.get("kind") == "backbone_staff":
            cleaned["organization"] = None
        return cleaned
