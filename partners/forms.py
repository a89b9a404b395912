"""Forms for the partner registry."""

from typing import Any

from django import forms

from core.ids import ModelMultipleIdsField, id_or_none
from partners.models import Contact, County, Organization, State


class OrganizationForm(forms.ModelForm):
    """An organization's profile. Counties served are limited to the organization's state."""

    website = forms.URLField(label="Website", required=False, assume_scheme="https")

    class Meta:
        model = Organization
        fields = [
            "name",
            "state",
            "sector",
            "kinds",
            "recognition_status",
            "dprp_org_code",
            "delivery_modes",
            "counties_served",
            "populations_of_focus",
            "website",
            "description",
        ]
        widgets = {
            "kinds": forms.CheckboxSelectMultiple,
            "delivery_modes": forms.CheckboxSelectMultiple,
            "populations_of_focus": forms.CheckboxSelectMultiple,
            "counties_served": forms.SelectMultiple(attrs={"size": 10}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "counties_served": "Hold Ctrl (or Cmd on a Mac) to choose more than one county.",
        }
        field_classes = dict.fromkeys(
            ["kinds", "delivery_modes", "counties_served", "populations_of_focus"], ModelMultipleIdsField
        )

    def __init__(self, *args: Any, state: State | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            state = self.instance.state
        if state is not None:
            self.fields["state"].initial = state
        # Offer the counties of the state chosen (on a re-shown form, the one just picked).
        chosen = self.data.get(self.add_prefix("state")) if self.is_bound else None
        state_id = id_or_none(chosen)
        state_filter = {"state_id": state_id} if state_id is not None else {"state": state}
        self.fields["counties_served"].queryset = County.objects.filter(**state_filter)
        self.fields["counties_served"].label_from_instance = lambda county: county.name

    def clean_dprp_org_code(self) -> str | None:
        return (self.cleaned_data.get("dprp_org_code") or "").strip() or None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        state, counties = cleaned.get("state"), cleaned.get("counties_served")
        if state and counties:
            outside = [county.name for county in counties if county.state_id != state.pk]
            if outside:
                names, verb = ", ".join(outside), "is" if len(outside) == 1 else "are"
                self.add_error("counties_served", f"Choose counties of {state}: {names} {verb} not.")
        return cleaned

    def many(self) -> dict[str, Any]:
        """The many-to-many values, for `partners.services.organization_save`."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.m2m_names}

    m2m_names = ("kinds", "delivery_modes", "counties_served", "populations_of_focus")


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "is_primary"]
