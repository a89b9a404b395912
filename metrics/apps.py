from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        from metrics import figure_cache, tasks, todo  # noqa: F401  registers the tasks the services queue by name
        from metrics.completeness import reports_on_time_by_partner
        from network.partnership.engagement import reports_on_time_source_set

        figure_cache.watch_reporting()
        todo.register()
        reports_on_time_source_set(source=reports_on_time_by_partner)
