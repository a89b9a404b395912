"""Dates in messages people read."""

import datetime


def long_date(day: datetime.date) -> str:
    """ "March 5, 2024": the same on every platform (strftime's %-d is not)."""
    return f"{day:%B} {day.day}, {day.year}"
