"""Under /accounts/: the API tokens page, and Django's own sign-in and password pages, password reset
with its limit."""

from django.urls import include, path

from accounts import views

urlpatterns = [
    *views.auth_overrides,
    path("", include((views.urlpatterns, "accounts"))),
    path("", include("django.contrib.auth.urls")),
]
