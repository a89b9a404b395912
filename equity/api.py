"""A network's breakdown against the eligible population through the API: the same figures, suppressed
for the same viewers, as the equity page.

``GET /api/v1/networks/<slug>/breakdown/?measure=enrollments&breakdown=race&from=2026-01&to=2026-06``
(optionally ``&organization=<id>`` for a partner whose own figures the caller may see).
"""

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import MAX_ID, NOT_SIGNED_IN, REFUSED, Refused, TandemAPI
from core.calendar import month_count
from core.disclosure import DEFAULT_THRESHOLD, Reason, words
from core.ids import whole_number
from equity import boards, selectors
from equity.forms import DEFAULT_BREAKDOWN, EquityFilters
from equity.measures import GroupMeasures
from equity.selectors import Scope
from goals.forms import DEFAULT_MEASURE, LONGEST_MONTHS
from goals.selectors import MonthPeriod, measures, period_default
from metrics import figure_cache
from metrics.api import MONTH_PATTERN
from metrics.figure_cache import page_arguments, viewer_key
from metrics.validation import parse_month
from network.models import Network
from network.selectors import Access, network_get_for_user


class GroupOut(serializers.Serializer):
    category = serializers.CharField(help_text="The category's code, e.g. black, or a county's FIPS code.")
    name = serializers.CharField()
    count = serializers.IntegerField(allow_null=True, help_text="Participants; null where suppressed.")
    suppressed = serializers.BooleanField(help_text="The count, and everything computed from it, is hidden.")
    suppressed_because = serializers.CharField(
        allow_null=True, help_text="Why the count is hidden, in words; null where it is shown."
    )
    share = serializers.FloatField(allow_null=True, help_text="Share of participants (0 to 1).")
    eligible = serializers.IntegerField(allow_null=True, help_text="Adults with prediabetes in the group.")
    eligible_share = serializers.FloatField(allow_null=True, help_text="Share of the eligible (0 to 1).")
    representation_ratio = serializers.FloatField(allow_null=True, help_text="share / eligible_share")
    reach_per_1000 = serializers.FloatField(allow_null=True, help_text="Participants per 1,000 eligible.")
    rate_ratio = serializers.FloatField(allow_null=True, help_text="Reach over the reference group's reach.")
    rate_ratio_ci_low = serializers.FloatField(
        allow_null=True, help_text="95 % confidence interval, low end."
    )
    rate_ratio_ci_high = serializers.FloatField(
        allow_null=True, help_text="95 % confidence interval, high end."
    )
    fair_share_gap = serializers.IntegerField(
        allow_null=True, help_text="More participants the group needs for a representation ratio of 1."
    )
    unstable = serializers.BooleanField(help_text="Computed from fewer than 20 participants.")
    reference = serializers.BooleanField(help_text="The group with the largest eligible population.")


class SourceOut(serializers.Serializer):
    name = serializers.CharField()
    year = serializers.IntegerField()
    url = serializers.CharField()


class BreakdownOut(serializers.Serializer):
    network = serializers.CharField()
    organization = serializers.IntegerField(allow_null=True)
    measure = serializers.CharField()
    breakdown = serializers.CharField()
    month_from = serializers.CharField(help_text="YYYY-MM")
    month_to = serializers.CharField(help_text="YYYY-MM")
    total = serializers.IntegerField(
        allow_null=True,
        help_text="All participants over the months the groups cover (covers); null where suppressed.",
    )
    covers = serializers.CharField(
        help_text="For a viewer who may not see every partner identified, the whole calendar quarters of "
        "the period the groups' counts cover (they are published by whole quarter); empty for the whole "
        "period."
    )
    complete_total = serializers.IntegerField(
        allow_null=True,
        help_text="All participants in the complete months of the period, as the dashboards give it; null "
        "where suppressed or where you see every partner identified (then total is the period's).",
    )
    shares_of = serializers.CharField(
        help_text="known: shares are of participants whose group is known; all: of every participant, "
        "because the unknown count is suppressed."
    )
    threshold = serializers.IntegerField(help_text="Counts from 1 to threshold − 1 are suppressed.")
    sources = SourceOut(many=True, help_text="Where the eligible-population estimates come from.")
    groups = GroupOut(many=True)
    unknown = GroupOut(allow_null=True, help_text="Participants whose group is unknown.")


def _because(reason: Reason | None, threshold: int = DEFAULT_THRESHOLD) -> str:
    return words(reason or Reason.COMPLEMENT, threshold)


def _group_out(group: GroupMeasures) -> dict[str, Any]:
    return {
        "category": group.key,
        "name": group.name,
        "count": group.count,
        "suppressed": group.suppressed,
        "suppressed_because": _because(group.reason) if group.suppressed else None,
        "share": group.share,
        "eligible": group.eligible,
        "eligible_share": group.eligible_share,
        "representation_ratio": group.representation,
        "reach_per_1000": group.reach,
        "rate_ratio": group.rate_ratio,
        "rate_ratio_ci_low": group.ci_low,
        "rate_ratio_ci_high": group.ci_high,
        "fair_share_gap": group.fair_share_gap,
        "unstable": group.unstable,
        "reference": group.reference,
    }


CODE = {"type": "string", "minLength": 1}
MONTH = {"type": "string", "pattern": MONTH_PATTERN, "example": "2026-01"}


def _problem(column: str, message: str, expected: str) -> dict[str, str]:
    return {"column": column, "message": message, "expected": expected}


class NetworkBreakdown(TandemAPI, APIView):
    @extend_schema(
        operation_id="network_breakdown",
        summary="A network's counts by group against the eligible population",
        description=(
            "Approved counts of one measure by the categories of one breakdown over a period, each with "
            "its share, the eligible population's share, the representation ratio, reach per 1,000 "
            "eligible, the rate ratio to the largest group with its 95 % confidence interval and the "
            "participants needed for a fair share. Counts from 1 to 10 (or the network's higher "
            "threshold) are null with suppressed true, with a second count where one could be worked "
            "out, for callers who may not see the partners' own figures; so are the figures computed "
            "from them."
        ),
        parameters=[
            OpenApiParameter("measure", CODE, description="A measure's code (enrollments, the default)."),
            OpenApiParameter("breakdown", CODE, description="A breakdown's code (race, the default)."),
            OpenApiParameter("from", MONTH, description="First month, YYYY-MM."),
            OpenApiParameter("to", MONTH, description="Last month, YYYY-MM."),
            OpenApiParameter(
                "organization",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="One partner whose own figures you may see.",
            ),
        ],
        responses={
            200: BreakdownOut,
            400: REFUSED,
            401: NOT_SIGNED_IN,
            403: OpenApiResponse(description="You may not see that partner's own figures."),
            404: OpenApiResponse(description="No such network, or not one you may see."),
        },
        tags=["networks"],
    )
    def get(self, request: Request, slug: str) -> Response:
        network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
        filters = self._filters(request)
        scope = selectors.network_scope(
            user=request.user, network=network, access=access, organization_id=filters.organization_id
        )
        today = timezone.localdate()
        return Response(
            figure_cache.cached(
                name="breakdown",
                network_ids=[network.pk],
                parts=[viewer_key(scope.viewer), page_arguments(request.query_params), today],
                build=lambda: self._breakdown(network, filters, scope, today),
            )
        )

    @staticmethod
    def _breakdown(network: Network, filters: EquityFilters, scope: Scope, today: datetime.date) -> dict:
        measured, sources = boards.breakdown_for(scope, filters, today)
        return BreakdownOut(
            {
                "network": network.slug,
                "organization": filters.organization_id,
                "measure": filters.measure.code,
                "breakdown": filters.breakdown.code,
                "month_from": f"{filters.period.first:%Y-%m}",
                "month_to": f"{filters.period.last:%Y-%m}",
                "total": measured.total,
                "covers": measured.covers,
                "complete_total": measured.complete_total,
                "shares_of": measured.share_of,
                "threshold": scope.threshold,
                "sources": [{"name": s.name, "year": s.year, "url": s.url} for s in sources],
                "groups": [_group_out(group) for group in measured.groups],
                "unknown": _group_out(measured.unknown) if measured.unknown else None,
            }
        ).data

    @staticmethod
    def _filters(request: Request) -> EquityFilters:
        """The query's filters, or a 400 listing every problem."""
        query = request.query_params
        problems = []
        found_measures = measures()
        measure_code = query.get("measure", DEFAULT_MEASURE)
        measure = next((m for m in found_measures if m.code == measure_code), None)
        if measure is None:
            problems.append(
                _problem(
                    "measure", f"No measure {measure_code!r}.", ", ".join(m.code for m in found_measures)
                )
            )
        found_breakdowns = selectors.breakdowns()
        breakdown_code = query.get("breakdown", DEFAULT_BREAKDOWN)
        breakdown = next((b for b in found_breakdowns if b.code == breakdown_code), None)
        if breakdown is None:
            problems.append(
                _problem(
                    "breakdown",
                    f"No breakdown {breakdown_code!r}.",
                    ", ".join(b.code for b in found_breakdowns),
                )
            )
        default = period_default(today=timezone.localdate())
        months = {}
        for name, fallback in (("from", default.first), ("to", default.last)):
            text = query.get(name)
            months[name] = fallback if text is None else parse_month(text)
            if months[name] is None:
                problems.append(_problem(name, f"{text!r} is not a month.", "a month as YYYY-MM"))
        first, last = months["from"], months["to"]
        if first and last and (first > last or month_count(first, last) > LONGEST_MONTHS):
            problems.append(
                _problem("to", "The period cannot run backwards or over ten years.", "a month after from")
            )
        organization_text = query.get("organization")
        organization_id = None
        if organization_text:
            organization_id = whole_number(organization_text, low=1, high=MAX_ID)
            if organization_id is None:
                problems.append(
                    _problem("organization", f"{organization_text!r} is not an id.", "a partner's id")
                )
        if problems:
            raise Refused("The filters were refused.", problems)
        return EquityFilters(
            period=MonthPeriod(first=first, last=last),
            measure=measure,
            breakdown=breakdown,
            organization_id=organization_id,
        )
