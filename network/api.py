"""The API's view of people and networks: who the caller is, the networks they may see, and a network's
partners."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import NOT_SIGNED_IN, REFUSED, SLUG, SLUG_PATTERN, Refused, TandemAPI
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


BACKBONE_ONLY = "For the network's backbone staff only."


class PartnerOut(serializers.Serializer):
    """What every viewer of a network sees of its partners."""

    id = serializers.IntegerField(source="organization.id")
    name = serializers.CharField(source="organization.name")
    sector = serializers.ChoiceField(source="organization.sector", choices=Sector.choices)
    dprp_org_code = serializers.CharField(source="organization.dprp_org_code", allow_null=True)


# One component in the schema for what either gets, its backbone-only fields not required: as two, every
# backbone staff's row would match both.
@extend_schema_serializer(component_name="Partner")
class PartnerForBackboneOut(PartnerOut):
    """A network's partner. Backbone staff also see how it takes part: the fields for them alone are
    missing for everyone else."""

    recognition_status = serializers.ChoiceField(
        source="organization.recognition_status",
        choices=RecognitionStatus.choices,
        required=False,
        help_text=BACKBONE_ONLY,
    )
    joined_on = serializers.DateField(required=False, help_text=BACKBONE_ONLY)
    reports_monthly = serializers.BooleanField(required=False, help_text=BACKBONE_ONLY)
    data_sharing = serializers.ChoiceField(
        choices=DataSharing.choices,
        required=False,
        help_text=f"How far its identified figures travel. {BACKBONE_ONLY}",
    )
    outcomes_shared = serializers.BooleanField(
        required=False,
        help_text=f"Whether it shares its program outcomes from its DPRP files. {BACKBONE_ONLY}",
    )
    named_publicly = serializers.BooleanField(
        required=False, help_text=f"Whether the public scorecard may name it. {BACKBONE_ONLY}"
    )


class OrganizationList(TandemAPI, ListAPIView):
    """A network's current partners, for anyone who may view the network."""

    def get_queryset(self) -> QuerySet[Membership]:
        slug = self.request.query_params.get("network", "").strip()
        if not SLUG.fullmatch(slug):
            raise Refused(
                "Say which network: ?network=<slug>.",
                [
                    {
                        "column": "network",
                        "message": f"{slug!r} is not a network's slug."
                        if slug
                        else "This parameter is required.",
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
            "network's backbone staff also get recognition status, joining date, reporting duty, "
            "data sharing and its two other choices: program outcomes shared and named on the scorecard."
        ),
        parameters=[
            OpenApiParameter(
                "network",
                {"type": "string", "pattern": SLUG_PATTERN},
                required=True,
                description="The network's slug.",
            )
        ],
        responses={
            200: PartnerForBackboneOut(many=True),
            400: REFUSED,
            401: NOT_SIGNED_IN,
            404: OpenApiResponse(description="No such network, or not one you may see."),
        },
        tags=["networks"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
