# Phone numbers encrypted at rest, and an optional (encrypted) ID number.

import luoshi.core.fields
import luoshi.organizations.models
from django.db import migrations

from luoshi.core.encrypted_columns import migration_operation


class Migration(migrations.Migration):

    dependencies = [
        ('organizations', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='user',
            name='phone',
            field=luoshi.core.fields.EncryptedTextField(blank=True, max_length=30, verbose_name='phone'),
        ),
        migrations.AddField(
            model_name='user',
            name='id_number',
            field=luoshi.core.fields.EncryptedTextField(blank=True, help_text='Resident identity card number (18 characters); optional.', max_length=18, validators=[luoshi.organizations.models.validate_id_number], verbose_name='ID number'),
        ),
        # Existing phone numbers are encrypted under the current key; reversed, they are decrypted first.
        migration_operation('organizations', 'User', 'phone'),
    ]
