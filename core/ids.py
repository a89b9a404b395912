"""Ids read from what a person sent: a query string, a form's raw data, an address."""

from collections.abc import Iterable

from django import forms
from django.db.models import Model, QuerySet

# The largest value of a BigAutoField (PostgreSQL's bigint, SQLite's INTEGER). A larger one in a lookup
# by foreign key makes SQLite raise OverflowError instead of finding nothing.
LARGEST_ID = 2**63 - 1


def whole_number(text: str, *, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``; None if it is not one. ASCII digits only:
    ``str.isdigit`` holds for "²" too, which ``int`` refuses, and ``int`` refuses strings of over 4,300
    digits, so a number longer than ``high`` is refused before it is read."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(high)):
        return None
    number = int(digits)
    return number if low <= number <= high else None


def id_or_none(value: object) -> int | None:
    """The id ``value`` writes in ASCII digits, up to `LARGEST_ID`; None for anything else."""
    return whole_number(str(value), low=0, high=LARGEST_ID) if value is not None else None


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
