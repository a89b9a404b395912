from django.db import migrations


def load(apps, schema_editor):
    from partners import reference

    reference.load(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
