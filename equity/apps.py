from django.apps import AppConfig


class EquityConfig(AppConfig):
    name = "equity"

    def ready(self) -> None:
        from equity.models import EligibleEstimate, EstimateSource
        from metrics.figure_cache import watch

        watch(EligibleEstimate)  # a state's estimates: every network's equity figures
        watch(EstimateSource)
