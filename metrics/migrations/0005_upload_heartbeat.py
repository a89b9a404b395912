# An upload's last sign of life and its number of reading attempts, so a periodic sweep sends again an
# upload whose message was lost and takes over one whose reader died; and an index for that sweep.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0004_partner_rollup_network_month"),
    ]

    operations = [
        migrations.AddField(
            model_name="upload",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="upload",
            name="read_attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="upload",
            index=models.Index(fields=["status", "created_at"], name="upload_status_created"),
        ),
    ]
