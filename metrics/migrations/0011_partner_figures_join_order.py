# The partner figures' view joined in the order SQLite must read it: a report's values through the
# report, never every value of a measure first. SQLite keeps the order of a CROSS JOIN (its documented
# way to fix a join order); PostgreSQL plans it as any inner join.

import importlib

from django.db import migrations

before = importlib.import_module("metrics.migrations.0007_partner_figures")  # its view, to undo

VIEW = """
CREATE VIEW metrics_partnerfigure AS
SELECT v.id, r.network_id, r.organization_id, r.month, v.measure_id, c.breakdown_id, v.category_id,
    v.count
FROM metrics_monthlyreport r
CROSS JOIN metrics_reportvalue v
CROSS JOIN metrics_category c
WHERE v.version_id = r.current_version_id AND c.id = v.category_id AND r.status = 'approved'
"""


class Migration(migrations.Migration):
    dependencies = [("metrics", "0010_rollup_indexes")]

    operations = [
        migrations.RunSQL(
            ["DROP VIEW metrics_partnerfigure", VIEW], ["DROP VIEW metrics_partnerfigure", before.VIEW]
        ),
    ]
