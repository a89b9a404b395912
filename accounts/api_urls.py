"""The API's tokens, under /api/v1/ (config/api_urls.py)."""

from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="token"),
    path("auth/tokens/", api.TokenList.as_view(), name="tokens"),
    path("auth/tokens/<int:pk>/", api.TokenDetail.as_view(), name="token_detail"),
]
