"""Monthly reports through the API: the contract suppliers' own systems integrate against.

Reads go through `metrics.selectors` and writes through `metrics.services.report_save`, so the API
sees what the pages see and refuses what the form and file upload refuse, with the same problems.
"""

import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core.api import MAX_ID, NOT_SIGNED_IN, REFUSED, ProblemOut, Refused, TandemAPI, problems_from_errors
from core.calendar import month_iso, report_due_on
from metrics.models import (
    MonthlyReport,
    ReportSource,
    ReportStatus,
    ReportValue,
    ReportVersion,
    Upload,
    UploadFormat,
    UploadStatus,
)
from metrics.selectors import (
    organizations_reporting_for,
    report_get_for_user,
    reporting_organization_get,
    reports_visible_to,
)
from metrics.services import NOTHING_CHANGED, NothingChanged, report_save
from metrics.uploads import Change, UploadNotReady, upload_discard, upload_read, upload_save
from metrics.validation import MAX_COUNT, ValueIn, parse_month
from network.models import Network
from network.selectors import User
from partners.models import Organization

# Docs (the token endpoints are accounts.api)


# Reading reports


class ReportOut(serializers.ModelSerializer):
    organization = serializers.IntegerField(source="organization_id")
    organization_name = serializers.CharField(source="organization.name")
    network = serializers.CharField(source="network.slug")
    month = serializers.SerializerMethodField(help_text="YYYY-MM")
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    version = serializers.IntegerField(
        source="current_version.number", allow_null=True, help_text="The current version's number."
    )
    nothing_to_report = serializers.BooleanField(source="current_version.nothing_to_report", allow_null=True)
    due_on = serializers.SerializerMethodField(help_text="The day the month is due.")

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "organization",
            "organization_name",
            "network",
            "month",
            "status",
            "version",
            "nothing_to_report",
            "due_on",
            "first_submitted_at",
            "submitted_at",
            "reviewed_at",
            "review_comment",
        ]

    def get_month(self, report: MonthlyReport) -> str:
        return month_iso(report.month)

    @extend_schema_field(OpenApiTypes.DATE)
    def get_due_on(self, report: MonthlyReport) -> str:
        return report_due_on(report.network, report.month).isoformat()


class ReportValueOut(serializers.Serializer):
    measure = serializers.CharField(source="measure.code")
    breakdown = serializers.CharField(source="category.breakdown.code")
    category = serializers.CharField(source="category.code")
    count = serializers.IntegerField()


class VersionOut(serializers.ModelSerializer):
    source = serializers.ChoiceField(choices=ReportSource.choices)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ReportVersion
        fields = ["number", "source", "nothing_to_report", "created_by", "created_at"]


class ReportDetailOut(ReportOut):
    values = serializers.SerializerMethodField(help_text="The current version's counts.")
    versions = VersionOut(many=True, read_only=True, help_text="Every version, the first first.")

    class Meta(ReportOut.Meta):
        fields = [*ReportOut.Meta.fields, "values", "versions"]

    @extend_schema_field(ReportValueOut(many=True))
    def get_values(self, report: MonthlyReport) -> list[dict[str, Any]]:
        if report.current_version is None:
            return []
        return ReportValueOut(report.current_version.values.all(), many=True).data


def report_with_figures(report: MonthlyReport, *, up_to: int | None = None) -> MonthlyReport:
    """Load a report's current counts and its versions in three queries, however many there are;
    with ``up_to``, only the versions up to that number (the report as one request left it)."""
    versions = ReportVersion.objects.select_related("created_by").order_by("number")
    if up_to is not None:
        versions = versions.filter(number__lte=up_to)
    prefetch_related_objects(
        [report],
        Prefetch(
            "current_version__values",
            queryset=ReportValue.objects.select_related("measure", "category__breakdown").order_by(
                "measure__order",
                "measure__code",
                "category__breakdown__order",
                "category__order",
                "category__name",
            ),
        ),
        Prefetch("versions", queryset=versions),
    )
    return report


# A month as the API documents it; `parse_month` also takes a full date or MM/YYYY, as files may give.
MONTH_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2026-01"})
class MonthField(serializers.CharField):
    """A month, YYYY-MM: its first day, or a problem that says the text is not a month."""

    def to_internal_value(self, data: Any) -> datetime.date:
        text = super().to_internal_value(data)
        month = parse_month(text)
        if month is None:
            raise serializers.ValidationError(f"{text!r} is not a month.")
        return month


class ReportFilters(serializers.Serializer):
    organization = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="An organization's id."
    )
    network = serializers.SlugField(required=False, help_text="A network's slug.")
    month_from = MonthField(required=False, help_text="The first month, YYYY-MM.")
    month_to = MonthField(required=False, help_text="The last month, YYYY-MM.")
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)


# What each field of a request expects, for the problems a malformed one gets.
EXPECTED = {
    "organization": "the id of an organization you report for",
    "network": "the slug of a network the organization is a partner in",
    "month": "a month as YYYY-MM",
    "month_from": "a month as YYYY-MM",
    "month_to": "a month as YYYY-MM",
    "status": f"one of {', '.join(ReportStatus.values)}",
    "submit": "true or false",
    "nothing_to_report": "true or false",
    "note": "text",
    "values": "a list of {measure, breakdown, category, count}",
    "measure": "a measure code, e.g. enrollments",
    "breakdown": "a breakdown code, e.g. race",
    "category": "a category code of the breakdown, e.g. black",
    "count": "a whole number, 0 or more",
    "": "a JSON object",
}


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_COUNT})
class CountField(serializers.Field):
    """Takes any JSON value: the shared validation says what is wrong with a count, as for a file."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class ReportValueIn(serializers.Serializer):
    measure = serializers.CharField()
    breakdown = serializers.CharField()
    category = serializers.CharField()
    count = CountField(help_text="A whole number, 0 or more.")


class ReportIn(serializers.Serializer):
    organization = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of an organization you report for."
    )
    network = serializers.SlugField(help_text="The slug of a network the organization is a partner in.")
    month = MonthField(help_text="The month reported, YYYY-MM.")
    submit = serializers.BooleanField(
        default=True, help_text="Submit the month to the backbone (the default), or keep it as a draft."
    )
    nothing_to_report = serializers.BooleanField(
        default=False, help_text="Nothing to report this month: then no counts above 0."
    )
    values = ReportValueIn(many=True, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


def _refused_by_serializer(
    serializer: serializers.Serializer, detail: str = "The request was refused: nothing was stored."
) -> Refused:
    return Refused(detail, problems_from_errors(serializer.errors, EXPECTED))


def _network_of(*, organization: Organization, slug: str) -> Network:
    """The network the report is for, one the organization is or was a partner in; 400 otherwise."""
    networks = Network.objects.filter(memberships__organization=organization).distinct()
    network = networks.select_related("state").filter(slug=slug).first()
    if network is None:
        slugs = ", ".join(sorted(networks.values_list("slug", flat=True))) or "none"
        raise Refused(
            "The request was refused: nothing was stored.",
            [
                {
                    "column": "network",
                    "message": f"{organization.name} is not a partner in network {slug!r}",
                    "expected": f"one of its networks: {slugs}",
                }
            ],
        )
    return network


class ReportList(TandemAPI, ListAPIView):
    refused = "The report was refused: nothing was stored."

    def get_serializer_class(self) -> type[serializers.Serializer]:
        # The browsable API builds its POST form from this.
        return ReportIn if self.request.method == "POST" else ReportOut

    def get_queryset(self) -> QuerySet[MonthlyReport]:
        filters = ReportFilters(data=self.request.query_params)
        if not filters.is_valid():
            raise _refused_by_serializer(filters, "The filters were refused.")
        given = filters.validated_data
        reports = reports_visible_to(user=self.request.user)
        if "organization" in given:
            reports = reports.filter(organization_id=given["organization"])
        if "network" in given:
            reports = reports.filter(network__slug=given["network"])
        if "month_from" in given:
            reports = reports.filter(month__gte=given["month_from"])
        if "month_to" in given:
            reports = reports.filter(month__lte=given["month_to"])
        if "status" in given:
            reports = reports.filter(status=given["status"])
        # A unique order, so pages neither skip nor repeat a report.
        return reports.order_by("-month", "organization__name", "organization_id", "network__slug", "pk")

    @extend_schema(
        operation_id="reports_list",
        summary="The monthly reports I may see",
        parameters=[ReportFilters],
        responses={200: ReportOut(many=True), 400: REFUSED, 401: NOT_SIGNED_IN},
        tags=["reports"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="reports_create",
        summary="Send one month's counts",
        description=(
            "Stores the counts as a new version of the month's report (a month already reported gets a "
            "new version; earlier ones are kept), submitted unless `submit` is false. Every breakdown of "
            "a measure must add up to its total; a breakdown left out entirely was not collected, and the "
            "total is counted under its unknown category. Counts the same as the current version make no "
            "new version: the answer is then 200 with the report as it is (a draft or returned report is "
            "submitted as it is), and the header `Tandem-Unchanged` says so. Anything wrong refuses the "
            "whole request, with every problem listed. The answer describes the version this request "
            "stored, even when another submission of the month stored a newer one at the same moment."
        ),
        request=ReportIn,
        responses={
            201: ReportDetailOut,
            200: OpenApiResponse(ReportDetailOut, description="The same counts: nothing changed."),
            400: REFUSED,
            401: NOT_SIGNED_IN,
            403: OpenApiResponse(description="You may see the organization but do not report for it."),
            404: OpenApiResponse(description="No such organization, or not one you may see."),
        },
        tags=["reports"],
    )
    def post(self, request: Request) -> Response:
        try:
            data = request.data
        except ParseError as error:
            raise Refused(
                "The request body is not valid JSON: nothing was stored.",
                [{"message": str(error.detail), "expected": EXPECTED[""]}],
            ) from error
        given = ReportIn(data=data)
        if not given.is_valid():
            raise _refused_by_serializer(given)
        report_in = given.validated_data
        organization = reporting_organization_get(
            user=request.user, organization_id=report_in["organization"]
        )
        network = _network_of(organization=organization, slug=report_in["network"])
        values = [
            ValueIn(
                value["measure"],
                value["breakdown"],
                value["category"],
                value["count"],
                column=f"values[{index}]",
            )
            for index, value in enumerate(report_in.get("values", []))
        ]
        try:
            report = report_save(
                network=network,
                organization=organization,
                month=report_in["month"],
                values=values,
                user=request.user,
                source=ReportSource.API,
                submit=report_in["submit"],
                nothing_to_report=report_in["nothing_to_report"],
                note=report_in["note"],
            )
        except NothingChanged as unchanged:
            # The same figures as the current version: no new version, the report as it is, 200.
            report = report_with_figures(unchanged.report)
            return Response(
                ReportDetailOut(report).data,
                status=status.HTTP_200_OK,
                headers={"Tandem-Unchanged": NOTHING_CHANGED},
            )
        # The report as this request left it, not as it is read now: a submission of the same month
        # committed a moment later must not lend this answer its version and figures.
        report = report_with_figures(report, up_to=report.current_version.number)
        location = reverse("api:report", args=[report.pk], request=request)
        return Response(
            ReportDetailOut(report).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class ReportDetail(TandemAPI, APIView):
    @extend_schema(
        operation_id="reports_retrieve",
        summary="One monthly report: its current counts and its versions",
        responses={
            200: ReportDetailOut,
            401: NOT_SIGNED_IN,
            404: OpenApiResponse(description="No such report, or not one you may see."),
        },
        tags=["reports"],
    )
    def get(self, request: Request, pk: int) -> Response:
        report = report_with_figures(report_get_for_user(user=request.user, pk=pk))
        return Response(ReportDetailOut(report).data)


# Files of monthly counts: Tandem's CSV template or a DPRP participant file (metrics.uploads)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The upload is not ready for this."


@extend_schema_field(OpenApiTypes.BINARY)
class FileIn(serializers.FileField):
    """A file sent as a part of a multipart form: binary in the schema (drf-spectacular would say a URI,
    as of a file in an answer, and clients would send a string)."""


class UploadIn(serializers.Serializer):
    file = FileIn(
        help_text="Tandem's template as a CSV file or an Excel workbook (.xlsx, its first sheet), or the "
        "file you send CDC's DPRP as CSV."
    )
    organization = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of an organization you report for."
    )
    network = serializers.SlugField(help_text="The slug of a network the organization is a partner in.")
    format = serializers.ChoiceField(choices=UploadFormat.choices)
    dry_run = serializers.BooleanField(
        default=False, help_text="Only check the file and show the months it would change; keep nothing."
    )
    submit = serializers.BooleanField(
        default=True, help_text="Submit the months saved (the default), or keep them as drafts."
    )


class UploadMonthOut(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    change = serializers.ChoiceField(
        choices=[
            (Change.NEW, "A first version"),
            (Change.CHANGED, "A new version"),
            (Change.UNCHANGED, "The same counts: not saved again"),
            (Change.SUBMIT, "The same counts, submitted as they are"),
            (Change.NOT_REPORTED, "Before the organization joined: not reported"),
            (Change.NOT_OVER, "The month is not over: sessions kept, not reported yet"),
            (Change.LOCKED, "The month is locked: left as it was (ask the backbone staff to reopen it)"),
        ]
    )
    totals = serializers.DictField(child=serializers.IntegerField(), help_text="Each measure's total.")
    stored_totals = serializers.DictField(
        child=serializers.IntegerField(), allow_null=True, help_text="What is stored now, if anything."
    )
    values = ReportValueIn(many=True, help_text="The month's counts after the file.")


class UploadOut(serializers.ModelSerializer):
    organization = serializers.IntegerField(source="organization_id")
    network = serializers.CharField(source="network.slug")
    # A plain string in the schema: a second enum of a field named status would rename the reports'
    # StatusEnum (ENUM_NAME_OVERRIDES in SPECTACULAR_SETTINGS would allow both).
    status = serializers.CharField(help_text=f"One of {', '.join(UploadStatus.values)}.")
    format = serializers.ChoiceField(choices=UploadFormat.choices)
    percent_done = serializers.IntegerField(help_text="How far a large file's background reading is.")
    problems = ProblemOut(many=True, help_text="Every problem found, when the file was refused.")
    months = serializers.SerializerMethodField(help_text="The months the file changes, as read.")
    saved = serializers.SerializerMethodField(help_text="The months saved (YYYY-MM), once saved.")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Upload
        fields = [
            "id",
            "url",
            "status",
            "format",
            "filename",
            "organization",
            "network",
            "submit",
            "rows_total",
            "rows_done",
            "percent_done",
            "problems",
            "months",
            "saved",
            "created_at",
            "finished_at",
        ]

    @extend_schema_field(UploadMonthOut(many=True))
    def get_months(self, upload: Upload) -> list[dict[str, Any]]:
        # Named fields only: a DPRP upload's result also holds its (hashed) sessions until saved.
        return [
            {
                "month": month["month"],
                "change": month["change"],
                "totals": month["totals"],
                "stored_totals": month.get("stored_totals"),
                "values": [
                    {"measure": m, "breakdown": b, "category": c, "count": n} for m, b, c, n in month["cells"]
                ],
            }
            for month in upload.result.get("months", [])
        ]

    def get_saved(self, upload: Upload) -> list[str]:
        return list(upload.result.get("saved", []))

    def get_url(self, upload: Upload) -> str:
        return reverse("api:upload", args=[upload.pk], request=self.context.get("request"))


class UploadSavedOut(serializers.Serializer):
    upload = UploadOut()
    reports = ReportOut(many=True, help_text="The reports that got a new version.")
    locked_months = serializers.ListField(
        child=serializers.CharField(),
        help_text="Months (YYYY-MM) the file would change but that are locked: left as they were.",
    )


def _upload_saved(request: Request, upload: Upload) -> Response:
    """Save a ready upload: 201 with the reports that got a new version, or 400 with every problem."""
    try:
        saved = upload_save(upload=upload, user=request.user)
    except UploadNotReady as error:
        raise Conflict(str(error)) from error
    # The reports as this save left them, not read again: another submission of a month a moment later
    # must not show up as this upload's version.
    data = {
        "upload": upload,
        "reports": sorted(saved, key=lambda report: report.month),
        "locked_months": upload.result.get("locked", []),
    }
    return Response(UploadSavedOut(data, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _upload_get_for_user(*, user: User, pk: int) -> Upload:
    """An upload of an organization the user reports for; 404 to everyone else (uploads are the
    partner's own work in progress)."""
    upload = (
        Upload.objects.select_related("network", "organization")
        .filter(pk=pk, organization__in=organizations_reporting_for(user=user))
        .first()
    )
    if upload is None:
        raise Http404("No such upload.")
    return upload


UPLOAD_ANSWERS = {
    200: OpenApiResponse(UploadOut, description="A dry run: the months the file would change. Nothing kept."),
    201: OpenApiResponse(UploadSavedOut, description="Saved: the reports that got a new version."),
    202: OpenApiResponse(
        UploadOut,
        description=(
            "A large file is read in the background: poll the upload's `url` until it is `ready` (then "
            "save it with `POST <url>save/`) or `refused`."
        ),
    ),
    400: REFUSED,
    401: NOT_SIGNED_IN,
    403: OpenApiResponse(description="You may see the organization but do not report for it."),
    404: OpenApiResponse(description="No such organization, or not one you may see."),
}


class UploadCreate(TandemAPI, APIView):
    parser_classes = [MultiPartParser, FormParser]
    refused = "The file was refused: nothing was stored."

    @extend_schema(
        operation_id="reports_upload",
        summary="Send a file of monthly counts",
        description=(
            "Tandem's template (`format=tandem`), a CSV file or an Excel workbook (.xlsx, its first "
            "sheet), or the participant file you send CDC's DPRP as CSV "
            "(`format=dprp`, turned into monthly enrollments and active participants; the same or an "
            "overlapping file counts nobody twice). A file with any problem is refused whole, every "
            "problem listed with its line and column."
        ),
        request={"multipart/form-data": UploadIn},
        responses=UPLOAD_ANSWERS,
        tags=["reports"],
    )
    def post(self, request: Request) -> Response:
        given = UploadIn(data=request.data)
        if not given.is_valid():
            raise _refused_by_serializer(given)
        upload_in = given.validated_data
        organization = reporting_organization_get(
            user=request.user, organization_id=upload_in["organization"]
        )
        network = _network_of(organization=organization, slug=upload_in["network"])
        upload = upload_read(
            network=network,
            organization=organization,
            user=request.user,
            file=upload_in["file"],
            format=upload_in["format"],
            submit=upload_in["submit"],
        )
        if upload.status == UploadStatus.REFUSED:
            raise Refused("The file was refused: nothing was stored.", upload.problems)
        context = {"request": request}
        if upload.status != UploadStatus.READY:  # queued for the background job
            headers = {"Location": reverse("api:upload", args=[upload.pk], request=request)}
            return Response(
                UploadOut(upload, context=context).data, status.HTTP_202_ACCEPTED, headers=headers
            )
        if upload_in["dry_run"]:
            preview = UploadOut(upload, context=context).data
            upload_discard(upload=upload, user=request.user)  # a dry run keeps nothing of the file
            return Response(preview)
        return _upload_saved(request, upload)


class UploadDetail(TandemAPI, APIView):
    @extend_schema(
        operation_id="reports_upload_retrieve",
        summary="A file sent: how far it is read, its problems or the months it changes",
        responses={200: UploadOut, 401: NOT_SIGNED_IN, 404: OpenApiResponse(description="No such upload.")},
        tags=["reports"],
    )
    def get(self, request: Request, pk: int) -> Response:
        upload = _upload_get_for_user(user=request.user, pk=pk)
        return Response(UploadOut(upload, context={"request": request}).data)

    @extend_schema(
        operation_id="reports_upload_discard",
        summary="Forget a file that was not saved",
        responses={
            204: None,
            401: NOT_SIGNED_IN,
            404: OpenApiResponse(description="No such upload."),
            409: OpenApiResponse(description="Saved already (a file still being read may be discarded)."),
        },
        tags=["reports"],
    )
    def delete(self, request: Request, pk: int) -> Response:
        upload = _upload_get_for_user(user=request.user, pk=pk)
        try:
            upload_discard(upload=upload, user=request.user)
        except UploadNotReady as error:
            raise Conflict(str(error)) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadSave(TandemAPI, APIView):
    refused = "The file was refused: nothing was stored."

    @extend_schema(
        operation_id="reports_upload_save",
        summary="Save a file read in the background",
        request=None,
        responses={
            201: UploadSavedOut,
            400: REFUSED,
            401: NOT_SIGNED_IN,
            404: OpenApiResponse(description="No such upload."),
            409: OpenApiResponse(description="Not ready: still being read, refused, saved or discarded."),
        },
        tags=["reports"],
    )
    def post(self, request: Request, pk: int) -> Response:
        return _upload_saved(request, _upload_get_for_user(user=request.user, pk=pk))
