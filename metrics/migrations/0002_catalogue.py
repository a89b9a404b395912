from django.db import migrations


def load(apps, schema_editor):
    from metrics import catalogue

    catalogue.load(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial"), ("partners", "0002_reference_data")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
