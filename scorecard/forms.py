"""The backbone's form for the story behind the curve."""

from django import forms

from scorecard.models import Scorecard


class StoryForm(forms.ModelForm):
    """The four parts of the story behind the curve; lengths are the services' to enforce too."""

    class Meta:
        model = Scorecard
        fields = ["headline", "what_works", "partners_with_a_role", "what_we_will_do"]
        widgets = {
            "what_works": forms.Textarea(attrs={"rows": 5}),
            "partners_with_a_role": forms.Textarea(attrs={"rows": 5}),
            "what_we_will_do": forms.Textarea(attrs={"rows": 5}),
        }
