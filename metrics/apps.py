from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        from metrics import tasks  # noqa: F401  registers the tasks the services queue by name
