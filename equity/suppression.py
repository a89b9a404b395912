"""Small-count suppression: the one module every published aggregate passes through.

The rule (the common CMS cell-size rule, DOMAIN.md): a count from 1 to ``threshold - 1`` (by default
1 to 10) is not shown; zero is shown. Where a group of cells adds up to a published total, one hidden
cell could be worked out from the total and the others, so the next smallest shown cell is hidden too.
A total below the threshold is hidden; ratios and shares computed from a hidden count are hidden.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

Key = TypeVar("Key")

# Counts below this are hidden from anyone who may not see the partner's identified figures.
DEFAULT_THRESHOLD = 11


def is_small(count: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """A count that may not be published: from 1 up to the threshold, excluded."""
    return 0 < count < threshold


@dataclass(frozen=True)
class Published(Generic[Key]):
    """A group of cells and their total as they may be shown: None where a count is hidden."""

    total: int | None
    cells: dict[Key, int | None]

    @property
    def hidden(self) -> set[Key]:
        return {key for key, count in self.cells.items() if count is None}


def suppress(
    cells: Mapping[Key, int], *, total: int | None = None, threshold: int = DEFAULT_THRESHOLD
) -> Published[Key]:
    """Hide the small cells of a group that adds up to ``total`` (the sum of the cells if not given),
    and, where exactly one cell would be hidden under a shown total, the next smallest shown cell."""
    total = sum(cells.values()) if total is None else total
    hidden = {key for key, count in cells.items() if is_small(count, threshold)}
    total_shown = not is_small(total, threshold)
    if total_shown and len(hidden) == 1:
        # Hide the smallest other cell, preferring one above zero: a hidden zero tells its reader
        # only that the pair adds up to the first cell's count.
        candidates = sorted(
            (key for key in cells if key not in hidden), key=lambda key: (cells[key] == 0, cells[key])
        )
        if candidates:
            hidden.add(candidates[0])
    return Published(
        total=total if total_shown else None,
        cells={key: None if key in hidden else count for key, count in cells.items()},
    )


def share(part: int | None, whole: int | None) -> float | None:
    """``part / whole``, hidden (None) where either count is hidden or the whole is zero."""
    if part is None or whole is None or whole == 0:
        return None
    return part / whole
