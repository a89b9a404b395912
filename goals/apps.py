from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        from goals import todo
        from goals.models import Commitment, Goal
        from metrics.figure_cache import watch

        watch(Goal, lambda goal: goal.network_id)
        watch(Commitment, lambda commitment: commitment.goal.network_id)
        todo.register()
