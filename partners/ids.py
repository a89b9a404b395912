"""Ids read from what a person sent: a query string, a form's raw data, an address."""

from collections.abc import Iterable

from django import forms
from django.db.models import Model, QuerySet

# The largest value of a BigAutoField (PostgreSQL's bigint, SQLite's INTEGER). A larger one in a lookup
# by foreign key makes SQLite raise OverflowError instead of finding nothing.
LARGEST_ID = 2**63 - 1


def id_or_none(value: object) -> int | None:
    """The id ``value`` writes in ASCII digits, up to `LARGEST_ID`; None for anything else.

    ``str.isdigit`` is not enough: it takes "²", which ``int`` refuses with a ValueError.
    """
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(LARGEST_ID)):
        return None
    number = int(text)
    return number if number <= LARGEST_ID else None


class ModelMultipleIdsField(forms.ModelMultipleChoiceField):
    """A choice of several rows by id that refuses an id outside the database's range as a choice
    that is not offered. Django turns such an id into a query, where SQLite raises OverflowError."""

    def _check_values(self, value: Iterable[object]) -> QuerySet[Model]:
        for pk in value:
            if id_or_none(pk) is None and pk not in self.empty_values:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)
