from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "network"

    def ready(self) -> None:
        from network import tasks, todo  # noqa: F401  registers the tasks the services queue by name

        todo.register()
