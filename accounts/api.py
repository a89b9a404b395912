"""API tokens through the API: sign in for a token, list your tokens, revoke one, sign out.

Sign-in goes through ``django.contrib.auth.authenticate`` with the Django request, so django-axes
counts its failures with the sign-in page's and answers a locked-out client with a 429.
"""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.authentication import ApiTokenAuthentication
from accounts.models import ApiToken

WRONG_CREDENTIALS = "Unable to log in with provided credentials."


class SignInIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100, required=False, default="", help_text="What the token is for, e.g. 'nightly upload'."
    )


class TokenOut(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. Shown this once only."
    )
    expires = serializers.DateTimeField(help_text="When the token stops working.")


class ApiTokenOut(serializers.ModelSerializer):
    created = serializers.DateTimeField(source="created_at")
    last_used = serializers.DateTimeField(source="last_used_at", allow_null=True, help_text="To the minute.")
    expires = serializers.DateTimeField(source="expires_at")
    current = serializers.SerializerMethodField(help_text="Whether this request was made with it.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "last_used", "expires", "current"]

    def get_current(self, token: ApiToken) -> bool:
        return token == self.context["request"].auth


NOT_LOCKED = OpenApiResponse(
    description="Too many failed sign-ins for this account or from this address; `Retry-After` says when."
)


class TokenView(APIView):
    """POST username and password for a new token; DELETE with a token to revoke it (sign out)."""

    authentication_classes = [ApiTokenAuthentication]

    def get_permissions(self) -> list:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        operation_id="token_create",
        summary="Sign in: a new token for a username and password",
        request=SignInIn,
        responses={200: TokenOut, 400: OpenApiResponse(description=WRONG_CREDENTIALS), 429: NOT_LOCKED},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        given = SignInIn(data=request.data)
        given.is_valid(raise_exception=True)
        # The Django request, not DRF's wrapper: django-axes marks it and its middleware answers 429.
        user = authenticate(
            request._request,
            username=given.validated_data["username"],
            password=given.validated_data["password"],
        )
        if user is None:
            raise serializers.ValidationError({"non_field_errors": [WRONG_CREDENTIALS]})
        token, secret = services.api_token_create(
            user=user, name=given.validated_data["name"] or "API sign-in"
        )
        return Response(TokenOut({"token": secret, "expires": token.expires_at}).data)

    @extend_schema(
        operation_id="token_revoke_current",
        summary="Sign out: revoke the token this request is made with",
        request=None,
        responses={204: None, 401: OpenApiResponse(description="No or wrong token.")},
        tags=["auth"],
    )
    def delete(self, request: Request) -> Response:
        services.api_token_revoke(user=request.user, token_id=request.auth.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenList(APIView):
    """The caller's tokens, never their secrets."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]

    @extend_schema(
        operation_id="tokens_list",
        summary="My API tokens: name, created, last used, expires",
        responses={200: ApiTokenOut(many=True)},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        services.api_tokens_prune(user=request.user)
        tokens = selectors.api_tokens_of(user=request.user)
        return Response(ApiTokenOut(tokens, many=True, context={"request": request}).data)


class TokenDetail(APIView):
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]

    @extend_schema(
        operation_id="token_revoke",
        summary="Revoke one of my API tokens",
        request=None,
        responses={204: None, 404: OpenApiResponse(description="You have no token with this id.")},
        tags=["auth"],
    )
    def delete(self, request: Request, pk: int) -> Response:
        if not services.api_token_revoke(user=request.user, token_id=pk):
            raise NotFound("You have no API token with this id.")
        return Response(status=status.HTTP_204_NO_CONTENT)
