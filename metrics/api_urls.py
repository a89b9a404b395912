"""The API under /api/: token, schema and docs, and the v1 endpoints (network/api.py, metrics/api.py)."""

urlpatterns: list = []
