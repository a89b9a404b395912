"""Progress against a network's goals through the API: the same figures as the dashboards.

``GET /api/v1/networks/<slug>/progress/?measure=enrollments``: the network's goals for the measure (target,
count so far, pace, projection, outlook, monthly rate still needed), the partners' commitments, and the
network's monthly series. A partner's commitment and count are identified only for backbone staff, for
the partner's own staff, and for state viewers where the partner shares its figures with the state;
the rest are summed. To everyone but backbone staff the network's counts are aggregates, published
through `metrics.publication` as on the dashboards (`goals.selectors`): a suppressed figure is null, and
``suppressed`` says so.
"""

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import NOT_SIGNED_IN, REFUSED, Refused, TandemAPI, problems_from_errors
from core.calendar import month_add, month_count
from core.disclosure import DEFAULT_THRESHOLD, Reason, words
from goals import selectors
from goals.forms import DEFAULT_MEASURE, LONGEST_MONTHS
from goals.selectors import GoalStanding, MonthPeriod, PartnerSoFar, Viewer, period_default
from metrics import completeness, figure_cache
from metrics.api import MonthField
from metrics.completeness import MonthReporting
from metrics.figure_cache import viewer_key
from metrics.models import Measure
from network.models import Network
from network.selectors import Access, network_get_for_user, viewer_for

SERIES_MONTHS = 24


class ProgressFilters(serializers.Serializer):
    measure = serializers.CharField(
        required=False, default=DEFAULT_MEASURE, help_text="A measure's code, e.g. enrollments (the default)."
    )
    month_from = MonthField(
        required=False, help_text="The series' first month, YYYY-MM (by default 24 months back)."
    )
    month_to = MonthField(
        required=False, help_text="The series' last month, YYYY-MM (by default the last complete month)."
    )


EXPECTED = {
    "measure": "a measure code: referrals, enrollments or active_participants",
    "month_from": "a month as YYYY-MM",
    "month_to": "a month as YYYY-MM, not before month_from, at most ten years after it",
}


class OrganizationRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CommitmentOut(serializers.Serializer):
    organization = OrganizationRefOut()
    amount = serializers.IntegerField(help_text="What the partner committed to the goal.")
    actual = serializers.IntegerField(
        help_text="The partner's approved count toward the goal so far, up to counted_to."
    )
    counted_to = serializers.CharField(
        allow_null=True,
        help_text="YYYY-MM: the last month counted for this partner, up to which its own reports are all in.",
    )


class CommitmentsSummedOut(serializers.Serializer):
    partners = serializers.IntegerField(help_text="Partners whose commitments are not shown one by one.")
    amount = serializers.IntegerField(
        allow_null=True,
        help_text="What they committed, together; null where they are a single partner, whose own "
        "commitment it would be.",
    )


class PopulationOut(serializers.Serializer):
    breakdown = serializers.CharField()
    category = serializers.CharField()
    name = serializers.CharField()


class BaselineOut(serializers.Serializer):  # value: null where it is withheld from you
    start = serializers.DateField()
    end = serializers.DateField()
    value = serializers.IntegerField(
        allow_null=True,
        help_text="null where it is withheld from you: a population's baseline over part of a quarter, "
        "whose counts are published by whole quarter only.",
    )


SUPPRESSED_HELP = (
    "Counts from 1 to suppression_threshold - 1 of partners whose figures you may not see identified, "
    "and what could be worked out from them, are suppressed: null here."
)


class MonthCountOut(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    count = serializers.IntegerField(
        allow_null=True, help_text="The approved count of the month; null where it is suppressed."
    )
    suppressed = serializers.BooleanField(help_text=f"Whether count is suppressed. {SUPPRESSED_HELP}")
    suppressed_because = serializers.CharField(
        allow_null=True,
        help_text="Why count is null, in words: fewer than the threshold, hidden so that another count "
        "cannot be worked out, provisional, or published by whole quarter only; null where it is shown.",
    )
    complete = serializers.BooleanField(
        help_text="Whether the month's reports are in: every report expected, or the network's completeness "
        "threshold of them, approved or saying there was nothing to report. A month that is not complete "
        "(or not over) is provisional: its count may still grow."
    )
    expected = serializers.IntegerField(
        allow_null=True,
        help_text="Reports expected for the month: partners that report monthly and were members; null "
        "for a month that is not over.",
    )
    received = serializers.IntegerField(
        allow_null=True, help_text="Of those, reports approved or saying there was nothing to report."
    )


class GoalMonthOut(MonthCountOut):
    so_far = serializers.IntegerField(
        allow_null=True,
        help_text="The count from the goal's start; null for a provisional month (after counted_to) and "
        "from a suppressed month on.",
    )


class GoalProgressOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    population = PopulationOut(allow_null=True, help_text="The population of focus; null for everyone.")
    baseline = BaselineOut()
    target_kind = serializers.CharField(help_text="number or percent_increase")
    target_value = serializers.DecimalField(max_digits=12, decimal_places=2)
    target = serializers.IntegerField(help_text="The count to reach from starts_on to the deadline.")
    starts_on = serializers.DateField()
    deadline = serializers.DateField()
    months_total = serializers.IntegerField()
    months_elapsed = serializers.IntegerField(help_text="Complete months counted so far.")
    counted_to = serializers.CharField(
        allow_null=True,
        help_text="YYYY-MM: the last month counted. Every month of the goal up to it is complete; the "
        "months after it are provisional and not counted in actual, pace, run_rate, projected, outlook "
        "or needed_per_month. Null while no month of the goal is complete.",
    )
    not_counted_because = serializers.CharField(
        allow_null=True,
        help_text='Why the count stops at counted_to, e.g. "October 2026: 3 of 5 partners have reported"; '
        "null where every month that is over is counted.",
    )
    actual = serializers.IntegerField(
        allow_null=True, help_text="The approved count so far; null where a month counted is suppressed."
    )
    share = serializers.FloatField(allow_null=True, help_text="actual / target")
    expected_by_now = serializers.FloatField(help_text="Where a straight line to the target stands now.")
    pace = serializers.FloatField(allow_null=True, help_text="actual / expected_by_now")
    run_rate = serializers.FloatField(
        allow_null=True,
        help_text="The mean of the last three complete months; null where one of them is suppressed.",
    )
    projected = serializers.FloatField(allow_null=True, help_text="actual + run_rate for every month left.")
    outlook = serializers.CharField(
        allow_null=True,
        help_text="on track, at risk, off track, reached or not started; null where projected is suppressed",
    )
    needed_per_month = serializers.FloatField(
        allow_null=True, help_text="What is left of the target over the months left; null after the deadline."
    )
    committed = serializers.IntegerField(
        allow_null=True,
        help_text="The sum of the partners' commitments; null where the commitments you may not see "
        "identified are a single partner's.",
    )
    coverage = serializers.FloatField(allow_null=True, help_text="committed / target")
    suppressed = serializers.ListField(
        child=serializers.CharField(),
        help_text="The fields of this goal that are null because they are suppressed or withheld from "
        f"you. {SUPPRESSED_HELP}",
    )
    commitments = CommitmentOut(many=True)
    commitments_summed = CommitmentsSummedOut()
    monthly = GoalMonthOut(
        many=True, help_text="Every month of the goal that is over: the counted ones, then the provisional."
    )


class ProgressOut(serializers.Serializer):
    network = serializers.CharField()
    measure = serializers.CharField()
    refreshed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the figures were last brought up to date."
    )
    suppression_threshold = serializers.IntegerField(
        allow_null=True,
        help_text="The smallest count published to you of partners you may not see identified (counts "
        "from 1 to one less are suppressed); null where you see every partner identified.",
    )
    goals = GoalProgressOut(many=True)
    series_from = serializers.CharField(help_text="YYYY-MM")
    series_to = serializers.CharField(help_text="YYYY-MM")
    series = MonthCountOut(many=True, help_text="The network's count of the measure, every month.")


def _month_out(
    month: datetime.date,
    count: int | None,
    reporting: MonthReporting | None,
    reason: Reason | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    return {
        "month": f"{month:%Y-%m}",
        "count": count,
        "suppressed": count is None,
        "suppressed_because": None if count is not None else words(reason or Reason.COMPLEMENT, threshold),
        "complete": bool(reporting and reporting.complete),
        "expected": reporting.expected if reporting else None,
        "received": reporting.received if reporting else None,
    }


def _goal_out(
    standing: GoalStanding, toward: dict[tuple[int, int], PartnerSoFar], viewer: Viewer
) -> dict[str, Any]:
    goal, progress = standing.goal, standing.progress
    shown, summed = [], []
    for commitment in goal.commitments.all():
        known = viewer.knows(goal.network_id, commitment.organization_id)
        (shown if known else summed).append(commitment)
    so_far: int | None = 0
    monthly = []
    counting = standing.counting
    for month in selectors.goal_period(goal).months:
        if month not in counting.reporting:
            break
        count = standing.monthly.get(month, 0)
        reason = standing.monthly_reasons.get(month)
        if standing.by_quarter and month not in standing.monthly:
            # A population's count is published by whole quarter: on the quarter's last month.
            count, reason = None, Reason.QUARTERLY
            out = _month_out(month, count, counting.reporting[month], reason, standing.threshold)
            monthly.append({**out, "so_far": None})
            continue
        if counting.is_provisional(month) or count is None or so_far is None:
            so_far = None
        else:
            so_far += count
        out = _month_out(month, count, counting.reporting[month], reason, standing.threshold)
        monthly.append({**out, "so_far": so_far})
    hidden = standing.hidden | standing.withheld
    population = goal.population
    figures = {
        "actual": progress.actual,
        "share": progress.share,
        "pace": progress.pace,
        "run_rate": progress.run_rate,
        "projected": progress.projected,
        "outlook": str(progress.outlook),
        "needed_per_month": progress.needed_per_month,
        "committed": standing.committed,
        "coverage": standing.coverage,
    }
    figures = {name: None if name in hidden else value for name, value in figures.items()}
    summed_amount = None if "committed" in standing.withheld else sum(c.amount for c in summed)
    return {
        "id": goal.pk,
        "name": goal.name,
        "population": (
            {"breakdown": population.breakdown.code, "category": population.code, "name": population.name}
            if population
            else None
        ),
        "baseline": {
            "start": goal.baseline_start,
            "end": goal.baseline_end,
            "value": None if standing.baseline_withheld else goal.baseline_value,
        },
        "target_kind": goal.target_kind,
        "target_value": goal.target_value,
        "target": progress.target,
        "starts_on": goal.starts_on,
        "deadline": goal.deadline,
        "months_total": progress.months_total,
        "months_elapsed": progress.months_elapsed,
        "counted_to": f"{standing.counted_to:%Y-%m}" if standing.counted_to else None,
        "not_counted_because": counting.why or None,
        "expected_by_now": progress.expected_by_now,
        **figures,
        "suppressed": sorted(name for name in figures if name in hidden),
        "commitments": [
            {
                "organization": {"id": c.organization_id, "name": c.organization.name},
                "amount": c.amount,
                "actual": toward[goal.pk, c.organization_id].so_far,
                "counted_to": _month_or_none(toward[goal.pk, c.organization_id].counting.counted_to),
            }
            for c in shown
        ],
        "commitments_summed": {"partners": len(summed), "amount": summed_amount},
        "monthly": monthly,
    }


def _month_or_none(month: datetime.date | None) -> str | None:
    return f"{month:%Y-%m}" if month else None


class NetworkProgress(TandemAPI, APIView):
    @extend_schema(
        operation_id="network_progress",
        summary="Progress against a network's goals for one measure",
        description=(
            "The network's goals that count the measure, each with its target, approved count so far, "
            "pace, projection, outlook and monthly rate still needed, and the partners' commitments; and "
            "the network's monthly series. Partners' commitments are listed one by one for the network's "
            "backbone staff, for a partner's own staff, and for state viewers where the partner shares its "
            "figures with the state; the others are summed. Figures count approved reports only. To "
            "everyone but the backbone staff the network's counts are aggregates: a count from 1 to "
            "suppression_threshold - 1 of the partners you may not see identified is suppressed (null, "
            "with suppressed true, or named in a goal's suppressed list), and so is what could be worked "
            "out from it: a count over months that include a suppressed one, and the shares, rates and "
            "projections computed from it."
        ),
        parameters=[ProgressFilters],
        responses={
            200: ProgressOut,
            400: REFUSED,
            401: NOT_SIGNED_IN,
            404: OpenApiResponse(description="No such network, or not one you may see."),
        },
        tags=["networks"],
    )
    def get(self, request: Request, slug: str) -> Response:
        network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
        given = ProgressFilters(data=request.query_params)
        if not given.is_valid():
            raise Refused("The filters were refused.", problems_from_errors(given.errors, EXPECTED))
        found = selectors.measures()
        measure = selectors.measure_by_code(found, given.validated_data["measure"])
        if measure is None:
            codes = ", ".join(m.code for m in found)
            raise Refused(
                "The filters were refused.",
                [
                    {
                        "column": "measure",
                        "message": f"No measure {given.validated_data['measure']!r}.",
                        "expected": f"one of {codes}",
                    }
                ],
            )
        period = self._period(given.validated_data)
        viewer = viewer_for(user=request.user, network=network, access=access)
        today = timezone.localdate()
        return Response(
            figure_cache.cached(
                name="progress",
                network_ids=[network.pk],
                parts=[viewer_key(viewer), measure.pk, period.first, period.last, today],
                build=lambda: self._progress(network, measure, period, viewer, today),
            )
        )

    @staticmethod
    def _progress(
        network: Network, measure: Measure, period: MonthPeriod, viewer: Viewer, today: datetime.date
    ) -> dict[str, Any]:
        goals = [
            goal for goal in selectors.goals_of(network_ids=[network.pk]) if goal.measure_id == measure.pk
        ]
        published = selectors.published_counts(
            networks=[network],
            measure_id=measure.pk,
            period=period,
            viewer=viewer,
            with_states=False,
            today=today,
        )
        standings = selectors.goal_standings_for(goals=goals, today=today, viewer=viewer, already=published)
        toward = selectors.partners_so_far(
            network=network,
            goals=goals,
            organization_ids={c.organization_id for goal in goals for c in goal.commitments.all()},
            today=today,
        )
        reporting = completeness.reporting_by_month(
            networks=[network], first=period.first, last=period.last, today=today
        )[network.pk]
        counts = published.networks[network.pk]
        data = {
            "network": network.slug,
            "measure": measure.code,
            "refreshed_at": selectors.freshness(network_ids=[network.pk]).latest,
            "suppression_threshold": None
            if viewer.sees_all_of(network.pk)
            else published.network_thresholds[network.pk],
            "goals": [_goal_out(standing, toward, viewer) for standing in standings],
            "series_from": f"{period.first:%Y-%m}",
            "series_to": f"{period.last:%Y-%m}",
            "series": [
                _month_out(
                    month,
                    counts.get(month, 0),
                    reporting.get(month),
                    published.network_reasons[network.pk].get(month),
                    published.network_thresholds[network.pk],
                )
                for month in period.months
            ],
        }
        return ProgressOut(data).data

    @staticmethod
    def _period(given: dict[str, Any]) -> MonthPeriod:
        last = given.get("month_to") or period_default(today=timezone.localdate()).last
        first = given.get("month_from") or month_add(last, -(SERIES_MONTHS - 1))
        if first > last or month_count(first, last) > LONGEST_MONTHS:
            raise Refused(
                "The filters were refused.",
                [
                    {
                        "column": "month_to",
                        "message": "The series cannot run backwards or over ten years.",
                        "expected": EXPECTED["month_to"],
                    }
                ],
            )
        return MonthPeriod(first=first, last=last)
