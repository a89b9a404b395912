"""The API's view of people and networks: who the caller is, the networks they may see, and a network's
partners. Also what every endpoint of the API shares: authentication and the shape of a refusal."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication
from network.models import DataSharing, Membership, Network, Role, RoleKind
from network.selectors import (
    Access,
    current_roles,
    memberships_current,
    network_get_for_user,
    networks_visible_to,
    organizations_with_memberships,
)
from partners.models import Organization, RecognitionStatus, Sector

# What every endpoint shares


class TandemAPI:
    """Token first, so a client without credentials gets 401 and a ``WWW-Authenticate: Token`` header
    (with session first DRF answers 403); the session still serves the browsable API and the docs."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    filter_backends: list = []  # each list parses its own filters, so bad ones get a 400 with problems


class ProblemOut(serializers.Serializer):
    line = serializers.IntegerField(required=False, help_text="The line of a file, where there is one.")
    column = serializers.CharField(
        required=False, help_text="The column of a file, or the field of a request: values[3].count."
    )
    message = serializers.CharField(help_text="What is wrong.")
    expected = serializers.CharField(required=False, help_text="What is expected instead.")
    month = serializers.CharField(required=False, help_text="The month (YYYY-MM) the problem belongs to.")


class RefusedOut(serializers.Serializer):
    detail = serializers.CharField()
    problems = ProblemOut(many=True)


REFUSED = OpenApiResponse(RefusedOut, description="Bad input, with every problem listed; nothing was stored.")
NOT_SIGNED_IN = OpenApiResponse(description="No or wrong credentials: send `Authorization: Token <token>`.")


class Refused(APIException):
    """A 400 listing every problem: ``{"detail": ..., "problems": [{"column", "message", ...}]}``."""

    status_code = 400
    default_detail = "The request was refused."

    def __init__(self, detail: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        # Set after __init__, which would turn every value (line numbers too) into strings.
        self.detail = {"detail": detail, "problems": problems}


def problems_from_errors(errors: Any, expected: dict[str, str], column: str = "") -> list[dict[str, Any]]:
    """A serializer's nested errors as problems, each naming its field as a path (``values[3].count``)
    and what that field expects (looked up by the field's own name)."""
    if isinstance(errors, dict):
        problems = []
        for key, value in errors.items():
            # A whole object's or list's errors belong to the object or list itself; a list's items
            # are keyed by their index.
            if key == "non_field_errors":
                at = column
            elif isinstance(key, int):
                at = f"{column}[{key}]"
            else:
                at = f"{column}.{key}" if column else key
            problems += problems_from_errors(value, expected, at)
        return problems
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        problems = []
        for index, item in enumerate(errors):
            problems += problems_from_errors(item, expected, f"{column}[{index}]")
        return problems
    field = column.rsplit(".", 1)[-1].split("[", 1)[0]
    messages = errors if isinstance(errors, list) else [errors]
    return [
        {
            key: value
            for key, value in (
                ("column", column),
                ("message", str(message)),
                ("expected", expected.get(field)),
            )
            if value
        }
        for message in messages
    ]


# Who the caller is


class NamedOrganizationOut(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]


class NetworkOut(serializers.ModelSerializer):
    state = serializers.CharField(source="state.code", help_text="The state's postal code, e.g. KS.")
    backbone = serializers.CharField(source="backbone.name", help_text="The backbone organization.")

    class Meta:
        model = Network
        fields = ["slug", "name", "state", "backbone", "report_due_day", "report_lock_days"]


class UserOut(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: AbstractBaseUser) -> str:
        return user.get_full_name() or user.get_username()


class RoleOut(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=RoleKind.choices)
    network = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="For backbone staff."
    )
    organization = NamedOrganizationOut(read_only=True, allow_null=True, help_text="For partner staff.")
    state = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="For state viewers."
    )

    class Meta:
        model = Role
        fields = ["kind", "network", "organization", "state"]


class ReportingOrganizationOut(serializers.ModelSerializer):
    networks = serializers.SerializerMethodField(help_text="The networks it is a current partner in.")

    class Meta:
        model = Organization
        fields = ["id", "name", "dprp_org_code", "networks"]

    def get_networks(self, organization: Organization) -> list[str]:
        return [membership.network.slug for membership in organization.current_memberships]


class MeOut(serializers.Serializer):
    user = UserOut()
    roles = RoleOut(many=True)
    organizations = ReportingOrganizationOut(
        many=True, help_text="The organizations whose monthly reports the user submits."
    )
    networks = NetworkOut(many=True, help_text="Every network the user may see.")


class MeView(TandemAPI, APIView):
    @extend_schema(
        operation_id="me",
        summary="Who I am: my roles, the organizations I report for, the networks I see",
        responses={200: MeOut, 401: NOT_SIGNED_IN},
        tags=["me"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        me = {
            "user": user,
            "roles": current_roles(user=user),
            # Partner staff hold both the change and the submit permission on their organizations.
            "organizations": organizations_with_memberships(user=user),
            "networks": networks_visible_to(user=user).order_by("name", "slug"),
        }
        return Response(MeOut(me).data)


# Networks and their partners


class NetworkList(TandemAPI, ListAPIView):
    serializer_class = NetworkOut

    def get_queryset(self) -> QuerySet[Network]:
        return networks_visible_to(user=self.request.user).order_by("name", "slug")

    @extend_schema(
        operation_id="networks_list",
        summary="The networks I may see",
        responses={200: NetworkOut(many=True), 401: NOT_SIGNED_IN},
        tags=["networks"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PartnerOut(serializers.Serializer):
    """What every viewer of a network sees of its partners."""

    id = serializers.IntegerField(source="organization.id")
    name = serializers.CharField(source="organization.name")
    sector = serializers.ChoiceField(source="organization.sector", choices=Sector.choices)
    dprp_org_code = serializers.CharField(source="organization.dprp_org_code", allow_null=True)


class PartnerForBackboneOut(PartnerOut):
    """Backbone staff also see how each partner takes part."""

    recognition_status = serializers.ChoiceField(
        source="organization.recognition_status", choices=RecognitionStatus.choices
    )
    joined_on = serializers.DateField()
    reports_monthly = serializers.BooleanField()
    data_sharing = serializers.ChoiceField(
        choices=DataSharing.choices, help_text="How far its identified figures travel."
    )


class OrganizationList(TandemAPI, ListAPIView):
    """A network's current partners, for anyone who may view the network."""

    def get_queryset(self) -> QuerySet[Membership]:
        slug = self.request.query_params.get("network", "").strip()
        if not slug:
            raise Refused(
                "Say which network: ?network=<slug>.",
                [
                    {
                        "column": "network",
                        "message": "This parameter is required.",
                        "expected": "a network slug",
                    }
                ],
            )
        self.network, self.access = network_get_for_user(user=self.request.user, slug=slug, need=Access.VIEW)
        return (
            memberships_current(network=self.network)
            .select_related("organization")
            .order_by("organization__name", "organization_id")
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if getattr(self, "access", Access.NONE) == Access.MANAGE:
            return PartnerForBackboneOut
        return PartnerOut

    @extend_schema(
        operation_id="organizations_list",
        summary="A network's current partners",
        description=(
            "Partner staff and state viewers get id, name, sector and DPRP organization code; the "
            "network's backbone staff also get recognition status, joining date, reporting duty and "
            "data sharing."
        ),
        parameters=[
            OpenApiParameter("network", OpenApiTypes.STR, required=True, description="The network's slug.")
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="Partner",
                serializers=[PartnerOut, PartnerForBackboneOut],
                resource_type_field_name=None,
                many=True,
            ),
            400: REFUSED,
            401: NOT_SIGNED_IN,
            404: OpenApiResponse(description="No such network, or not one you may see."),
        },
        tags=["networks"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
