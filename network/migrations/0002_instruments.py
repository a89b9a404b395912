from django.db import migrations


def load(apps, schema_editor):
    from network.partnership import instruments

    instruments.load(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
