"""Take back the `view_network` and `view_organization` object permissions earlier roles granted:
no page or API ever checked them (what a viewer sees comes from the viewer, `network.selectors`)."""

from django.db import migrations


def take_back(apps, schema_editor) -> None:
    Network = apps.get_model("network", "NetworkUserObjectPermission")
    Organization = apps.get_model("partners", "OrganizationUserObjectPermission")
    Network.objects.filter(permission__codename="view_network").delete()
    Organization.objects.filter(permission__codename="view_organization").delete()


class Migration(migrations.Migration):
    dependencies = [("network", "0007_data_sharing_change"), ("partners", "0002_reference_data")]

    operations = [migrations.RunPython(take_back, migrations.RunPython.noop)]
