# Channel addresses (which carry robots' access tokens and keys) and signing secrets encrypted at rest.

import luoshi.core.fields
from django.db import migrations

from luoshi.core.encrypted_columns import migration_operation


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_deliveries'),
    ]

    operations = [
        migrations.AlterField(
            model_name='channel',
            name='url',
            field=luoshi.core.fields.EncryptedURLField(max_length=500, verbose_name='address'),
        ),
        migrations.AlterField(
            model_name='channel',
            name='secret',
            field=luoshi.core.fields.EncryptedTextField(blank=True, max_length=200, verbose_name='secret'),
        ),
        # Existing values are encrypted under the current key; reversed, they are decrypted first.
        migration_operation('notifications', 'Channel', 'url', 'secret'),
    ]
