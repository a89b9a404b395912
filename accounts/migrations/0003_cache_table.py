"""The shared cache's table, when the cache is the database (no CACHE_URL): the same as
`manage.py createcachetable`, which does nothing for a table already there or a Redis cache."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_carry_over_drf_tokens")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
