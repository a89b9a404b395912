# The partner rollup, a copy of every approved value, gives way to a view over the values themselves.

import django.db.models.deletion
from django.db import migrations, models

VIEW = """
CREATE VIEW metrics_partnerfigure AS
SELECT v.id, r.network_id, r.organization_id, r.month, v.measure_id, c.breakdown_id, v.category_id,
    v.count
FROM metrics_monthlyreport r
JOIN metrics_reportvalue v ON v.version_id = r.current_version_id
JOIN metrics_category c ON c.id = v.category_id
WHERE r.status = 'approved'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0006_rollup_pending"),
        ("network", "0008_unchecked_view_grants"),
        ("partners", "0002_reference_data"),
    ]

    operations = [
        migrations.DeleteModel(name="RollupPartnerMonth"),
        migrations.RunSQL(VIEW, "DROP VIEW metrics_partnerfigure"),
        migrations.CreateModel(
            name="PartnerFigure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("count", models.BigIntegerField()),
                (
                    "breakdown",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="metrics.breakdown"
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="metrics.category"
                    ),
                ),
                (
                    "measure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="metrics.measure"
                    ),
                ),
                (
                    "network",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="network.network"
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="partners.organization",
                    ),
                ),
            ],
            options={"db_table": "metrics_partnerfigure", "managed": False},
        ),
    ]
