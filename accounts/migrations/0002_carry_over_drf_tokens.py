"""Tokens made before Tandem's own (Django REST framework's, kept in plain text) keep working, hashed
and expiring API_TOKEN_DAYS from now; the plain-text copies are deleted."""

import datetime
import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"


def carry_over(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id FROM {OLD_TABLE}")
        rows = cursor.fetchall()
    users = User.objects.in_bulk([user_id for _, user_id in rows])
    now = timezone.now()
    for key, user_id in rows:
        # The session auth hash of the user's current password, as the real model computes it.
        password_check = get_user_model()(password=users[user_id].password).get_session_auth_hash()
        ApiToken.objects.create(
            user_id=user_id,
            name="Token made before tokens expired",
            digest=hashlib.sha256(key.encode()).hexdigest(),
            password_check=password_check,
            created_at=now,
            expires_at=now + datetime.timedelta(days=settings.API_TOKEN_DAYS),
        )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {OLD_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_api_tokens")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
