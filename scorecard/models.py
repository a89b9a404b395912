"""A network's public scorecard: switched on by its backbone staff, with the story behind the curve they
write (Clear Impact's turn-the-curve habit). Its figures are not stored: they are published for the
public from the rollups on each (cached) view, `scorecard.board`."""

from django.conf import settings
from django.db import models

from network.models import Network

# Short enough to print on one page beside the figures, long enough for a paragraph or three.
HEADLINE_LENGTH = 200
STORY_LENGTH = 1500


class Scorecard(models.Model):
    """One network's public scorecard. Off until the backbone staff switch it on
    (`scorecard.services.scorecard_publish`)."""

    network = models.OneToOneField(Network, on_delete=models.CASCADE, related_name="scorecard")
    published = models.BooleanField(
        "on the public web", default=False, help_text="Anyone may open the scorecard while this is on."
    )
    published_at = models.DateTimeField(null=True, blank=True, help_text="When it was last switched on.")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    headline = models.CharField(
        "the curve",
        max_length=HEADLINE_LENGTH,
        blank=True,
        help_text="One sentence on where the trend is heading, e.g. “Enrollment is rising, but not yet "
        "fast enough to reach our goal by December.”",
    )
    what_works = models.TextField(
        "what works",
        max_length=STORY_LENGTH,
        blank=True,
        help_text="What is helping turn the curve, in plain words. Leave a blank line between paragraphs.",
    )
    partners_with_a_role = models.TextField(
        "partners with a role to play",
        max_length=STORY_LENGTH,
        blank=True,
        help_text="Who can help, and how: kinds of partners rather than names, unless they agreed to be "
        "named.",
    )
    what_we_will_do = models.TextField(
        "what we will do",
        max_length=STORY_LENGTH,
        blank=True,
        help_text="The network's next steps to turn the curve.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Scorecard of {self.network}"

    @property
    def has_story(self) -> bool:
        return any([self.headline, self.what_works, self.partners_with_a_role, self.what_we_will_do])
