"""uploads pages."""

urlpatterns: list = []
