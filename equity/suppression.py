"""Small-count suppression: the one module every published aggregate passes through.

The rule (the common CMS cell-size rule, DOMAIN.md): a count from 1 to ``threshold - 1`` (by default
1 to 10) is not shown; zero is shown. Where a group of cells adds up to a published total, one hidden
cell could be worked out from the total and the others, so the next smallest shown cell is hidden too.
A total below the threshold is hidden; ratios and shares computed from a hidden count are hidden.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

Key = TypeVar("Key")

# Counts below this are hidden from anyone who may not see the partner's identified figures.
DEFAULT_THRESHOLD = 11


def note(threshold: int = DEFAULT_THRESHOLD) -> str:
    """What every page, table and download with suppressed figures says about them, in one wording."""
    return (
        f"Counts from 1 to {threshold - 1} are suppressed to protect participants' privacy, with a second "
        "count where the first could be worked out from a total; shares and ratios computed from them are "
        "suppressed too."
    )


def threshold_for(setting: int | None) -> int:
    """A network's threshold as applied: its setting, never below the CMS rule's 11."""
    return max(DEFAULT_THRESHOLD, setting or 0)


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
    cells: Mapping[Key, int],
    *,
    total: int | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    known: Collection[Key] = (),
) -> Published[Key]:
    """Hide the small cells of a group that adds up to ``total`` (the sum of the cells if not given),
    and, where exactly one cell would be hidden under a shown total, the next smallest shown cell.

    ``known`` cells are the viewer's own identified figures (their organization's count, say): they
    are always shown, so they can never be the second cell; where only known cells are left, the
    total is hidden instead.
    """
    total = sum(cells.values()) if total is None else total
    hidden = {key for key, count in cells.items() if key not in known and is_small(count, threshold)}
    total_shown = not is_small(total, threshold)
    if total_shown and len(hidden) == 1:
        # Hide the smallest other cell, preferring one above zero: a hidden zero tells its reader
        # only that the pair adds up to the first cell's count.
        candidates = sorted(
            (key for key in cells if key not in hidden and key not in known),
            key=lambda key: (cells[key] == 0, cells[key]),
        )
        if candidates:
            hidden.add(candidates[0])
        else:
            total_shown = False
    return Published(
        total=total if total_shown else None,
        cells={key: None if key in hidden else count for key, count in cells.items()},
    )


def share(part: int | None, whole: int | None) -> float | None:
    """``part / whole``, hidden (None) where either count is hidden or the whole is zero."""
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


def suppress_aggregate(
    cells: Mapping[Key, int],
    *,
    identified: Mapping[Key, int] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    everything_identified: bool = False,
) -> Published[Key]:
    """Publish an aggregate (a network's or a state's counts by group) to a viewer who may see the
    ``identified`` part of it anyway (their own organization's counts, or those shared with them).

    Subtracting what they know leaves the rest of the partners' counts: that rest is what must not
    give a small count away, so it is suppressed as a group, and a cell is shown only where its rest is.
    A viewer who may see every partner's identified figures sees everything."""
    if everything_identified:
        return Published(total=sum(cells.values()), cells=dict(cells))
    identified = identified or {}
    rest = {key: count - identified.get(key, 0) for key, count in cells.items()}
    published_rest = suppress(rest, threshold=threshold)
    known_total = sum(identified.get(key, 0) for key in cells)
    return Published(
        total=None if published_rest.total is None else known_total + published_rest.total,
        cells={
            key: None if published_rest.cells[key] is None else identified.get(key, 0) + rest[key]
            for key in cells
        },
    )
