from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set (`manage.py load_demo`) and the national benchmark (`manage.py bench`): tools on
    top of every app, which no app imports."""

    name = "demo"
