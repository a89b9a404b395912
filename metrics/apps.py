from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        from metrics import figure_cache, tasks, todo  # noqa: F401  registers the tasks the services queue by name

        figure_cache.watch_reporting()
        todo.register()
