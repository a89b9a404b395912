# One report's rollup sums its network's month, and a rebuild repairs network months: an index for both,
# so neither reads the network's whole history.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0003_rollups"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rolluppartnermonth",
            index=models.Index(fields=["network", "month"], name="partner_rollup_network_month"),
        ),
    ]
