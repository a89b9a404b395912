"""The shape of a refusal: every problem found, each saying where (line and column, or month), what is
wrong and what is expected, in words a partner understands. Anything with a problem is refused whole;
the API's exception handler (`core.api`) answers a `ReportRefused` with the same problems."""

import datetime
from dataclasses import asdict, dataclass
from typing import Any

from core.calendar import month_name


@dataclass(frozen=True)
class Problem:
    message: str
    expected: str = ""
    line: int | None = None
    column: str = ""
    month: str = ""  # YYYY-MM, where the problem belongs to one month

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in ("", None)}

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"line {self.line}" if self.line else "",
                f"column {self.column}" if self.column else "",
            )
            if part
        )
        if not where and self.month:
            named = _month_named(self.month)
            if named not in self.message:
                where = named
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.expected})" if self.expected else text


def _month_named(month: str) -> str:
    """ "2026-11" as pages write it, "November 2026"; anything else as it is."""
    try:
        return month_name(datetime.date.fromisoformat(f"{month}-01"))
    except ValueError:
        return month


class ReportRefused(Exception):
    """Raised with every problem found; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems
