"""The equity measures of one breakdown, from counts as published and the eligible population.

Everything here is computed from *published* counts (`metrics.publication` has already hidden the
small ones), so a figure computed from a hidden count is hidden too, and nothing hidden can be worked
back from a share, a ratio or a gap.

- share of participants: a group's count over the participants whose group is known. Where the
  "unknown" count itself is hidden, that known total cannot be shown, so shares are taken of all
  participants instead (they differ by at most the hidden 1 to 10 people);
- share of the eligible: the group's adults with prediabetes over those of every group with an estimate;
- representation ratio: share of participants over share of the eligible (1.0 is a fair share);
- reach: participants per 1,000 eligible adults of the group;
- rate ratio: the group's reach over the reach of the reference group (the one with the largest
  eligible population), with a 95 % confidence interval on the log scale (Poisson counts:
  standard error sqrt(1/a + 1/b));
- fair-share gap: how many more participants the group needs for a representation ratio of 1, the
  other groups staying as they are: the x with (c + x) / (D + x) = e, i.e. (e·D − c) / (1 − e), rounded up;
- unstable: ratios from fewer than 20 participants swing widely from one period to the next.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.disclosure import Published, Reason

UNSTABLE_BELOW = 20
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    eligible: int | None  # adults with prediabetes; None where no estimate was imported


@dataclass(frozen=True)
class GroupMeasures:
    key: str
    name: str
    count: int | None  # None where suppressed
    suppressed: bool
    eligible: int | None
    share: float | None = None
    eligible_share: float | None = None
    representation: float | None = None
    reach: float | None = None  # per 1,000 eligible
    rate_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    fair_share_gap: int | None = None
    unstable: bool = False
    reference: bool = False
    reason: Reason | None = None  # why the count is not shown


@dataclass(frozen=True)
class BreakdownMeasures:
    groups: list[GroupMeasures]
    unknown: GroupMeasures | None
    total: int | None  # None where suppressed
    share_of: str  # "known" or "all": what shares of participants are taken of
    reference: str | None  # the reference group's name
    total_reason: Reason | None = None  # why the total is not shown
    covers: str = ""  # the months the counts cover, where not the whole period ("Q1 2026 to Q3 2026")
    complete_total: int | None = None  # all participants in the complete months of the period
    complete_reason: Reason | None = None


def reach_per_1000(count: int, eligible: int) -> float | None:
    return 1000 * count / eligible if eligible else None


def rate_ratio(a: int, n_a: int, b: int, n_b: int) -> tuple[float, float | None, float | None] | None:
    """Rate ratio of a/n_a to b/n_b with its 95 % confidence interval (None where a count is 0)."""
    if not n_a or not n_b or not b:
        return None
    ratio = (a / n_a) / (b / n_b)
    if a == 0:
        return ratio, None, None
    spread = Z_95 * math.sqrt(1 / a + 1 / b)
    return ratio, ratio * math.exp(-spread), ratio * math.exp(spread)


def fair_share_gap(count: int, denominator: int, eligible_share: float) -> int | None:
    """Additional participants for a fair share, the other groups staying as they are."""
    if eligible_share >= 1:
        return None
    needed = (eligible_share * denominator - count) / (1 - eligible_share)
    return max(0, math.ceil(needed - 1e-9))


def breakdown_measures(
    groups: Sequence[Group], published: Published[str], *, unknown_key: str | None = None
) -> BreakdownMeasures:
    """The measures of each group in ``groups`` (in order) from its published count."""
    counts: Mapping[str, int | None] = published.cells
    unknown_count = counts.get(unknown_key) if unknown_key else 0
    unknown_hidden = unknown_key is not None and unknown_key in counts and unknown_count is None
    if published.total is None:
        denominator, share_of = None, "known"
    elif unknown_hidden:
        denominator, share_of = published.total, "all"
    else:
        denominator, share_of = published.total - (unknown_count or 0), "known"
    known = [group for group in groups if group.key != unknown_key]
    eligible_total = sum(group.eligible or 0 for group in known)
    reference = max(
        (group for group in known if group.eligible), key=lambda group: group.eligible or 0, default=None
    )
    reference_count = counts.get(reference.key) if reference else None

    measured = []
    for group in known:
        count = counts.get(group.key)
        eligible_share = (
            group.eligible / eligible_total if group.eligible is not None and eligible_total else None
        )
        measures = GroupMeasures(
            key=group.key,
            name=group.name,
            count=count,
            suppressed=count is None,
            reason=published.reasons.get(group.key),
            eligible=group.eligible,
            eligible_share=eligible_share,
            reference=reference is not None and group.key == reference.key,
        )
        if count is not None:
            measures = _with_ratios(measures, count, denominator, reference, reference_count)
        measured.append(measures)
    unknown = None
    if unknown_key and unknown_key in counts:
        name = next((group.name for group in groups if group.key == unknown_key), "Unknown")
        unknown = GroupMeasures(
            key=unknown_key,
            name=name,
            count=unknown_count,
            suppressed=unknown_count is None,
            reason=published.reasons.get(unknown_key),
            eligible=None,
            share=unknown_count / published.total if unknown_count is not None and published.total else None,
        )
    return BreakdownMeasures(
        groups=measured,
        unknown=unknown,
        total=published.total,
        share_of=share_of,
        reference=reference.name if reference else None,
        total_reason=published.total_reason,
    )


def _with_ratios(
    measures: GroupMeasures,
    count: int,
    denominator: int | None,
    reference: Group | None,
    reference_count: int | None,
) -> GroupMeasures:
    share = count / denominator if denominator else None
    eligible_share = measures.eligible_share
    ratio = (
        rate_ratio(count, measures.eligible or 0, reference_count or 0, reference.eligible or 0)
        if (reference is not None and reference_count is not None)
        else None
    )
    return GroupMeasures(
        **{
            **vars(measures),
            "share": share,
            "representation": share / eligible_share if share is not None and eligible_share else None,
            "reach": reach_per_1000(count, measures.eligible) if measures.eligible else None,
            "rate_ratio": ratio[0] if ratio else None,
            "ci_low": ratio[1] if ratio else None,
            "ci_high": ratio[2] if ratio else None,
            "fair_share_gap": (
                fair_share_gap(count, denominator, eligible_share)
                if denominator and eligible_share is not None
                else None
            ),
            "unstable": count < UNSTABLE_BELOW
            or (reference_count is not None and reference_count < UNSTABLE_BELOW),
        }
    )
