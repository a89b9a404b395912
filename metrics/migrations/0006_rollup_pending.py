# Changes whose rollup has not run yet: what the sweep looks for to repair a lost rollup message.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0005_upload_heartbeat"),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupPending",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("changed_at", models.DateTimeField(auto_now_add=True)),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="metrics.monthlyreport",
                    ),
                ),
            ],
        ),
    ]
