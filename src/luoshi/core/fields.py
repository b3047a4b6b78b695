"""Model fields shared by several apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression

from luoshi.core import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted at rest under a key kept outside the database (see :mod:`luoshi.core.crypto`).

    In Python the value is a plain ``str``; the column holds a token
    ``enc:v1:<key id>:<algorithm>:<base64 nonce + ciphertext + tag>`` bound to this column's
    ``table.column``, so it cannot be moved to another column and still decrypt. ``""`` and ``None`` are
    stored as they are (an empty value is no secret, and "not given" stays queryable).

    Every encryption uses a fresh random nonce, so equal values give different tokens: the field can be
    neither searched nor ordered nor unique in the database. Only ``isnull`` lookups are allowed; any
    other filter raises ``FieldError`` rather than silently matching nothing. Find rows by another
    column and compare the decrypted values in Python. ``order_by`` on it would sort by ciphertext,
    which is meaningless: do not.

    A value that does not decrypt (key missing from the ring, wrong key, altered or swapped value)
    raises :class:`luoshi.core.crypto.FieldCryptoError` when read; it never reads as empty.

    Serialization (``dumpdata``) writes the token, not the plaintext, and ``loaddata`` reads it back
    under the same keys.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("unique") or kwargs.get("db_index") or kwargs.get("primary_key"):
            raise ValueError("An EncryptedTextField cannot be unique, indexed or a primary key.")
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            # TextField leaves the length to forms; here it is the plaintext's length that is checked.
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def context(self) -> str:
        """The associated data: which column the value belongs to."""
        return f"{self.model._meta.db_table}.{self.column}"

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.context())

    def to_python(self, value: Any) -> str | None:
        if value is None or value == "":
            return value
        if crypto.is_token(value):
            # A serialized token (loaddata) comes back to its plaintext.
            try:
                return crypto.decrypt(value, context=self.context())
            except crypto.FieldCryptoError as exc:
                raise ValidationError(str(exc.message), code="undecryptable") from None
        return str(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "" or isinstance(value, Expression):
            return value
        return crypto.encrypt(str(value), context=self.context())

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        if value is None or value == "":
            return "" if value is None else value
        return crypto.encrypt(str(value), context=self.context())

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> Any:
        # Phone numbers, ID numbers and secrets are one line: a text input, not TextField's textarea.
        # TextField.formfield takes keywords only.
        options: dict[str, Any] = {"widget": forms.TextInput, **kwargs}
        if form_class is not None:
            options["form_class"] = form_class
        if choices_form_class is not None:
            options["choices_form_class"] = choices_form_class
        return super().formfield(**options)

    def get_lookup(self, lookup_name: str) -> Any:
        # Random nonces make equality, ranges and substrings meaningless on ciphertext.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None


class EncryptedURLField(EncryptedTextField):
    """An address that carries a secret (a robot's ``key=`` or ``access_token=``), encrypted at rest.

    Validated and edited like a ``URLField``; stored and restricted like any :class:`EncryptedTextField`.
    """

    default_validators = [validators.URLValidator()]
    description = "URL encrypted at rest"

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> Any:
        return super().formfield(
            form_class or forms.URLField, choices_form_class, **{"widget": forms.URLInput, **kwargs}
        )


def audit_value(obj: models.Model, name: str) -> Any:
    """``obj.<name>`` as the audit trail may record it: an encrypted field's value never in clear.

    An encrypted value becomes ``[redacted:<8 hex>]``, a keyed fingerprint: two snapshots of one change
    still differ exactly when the value changed, but the trail (which can never be edited) holds nothing
    that reveals the number. Empty stays empty, so that setting and clearing show as such.
    """
    value = getattr(obj, name)
    try:
        field = obj._meta.get_field(name)
    except Exception:  # a property or annotation, not a model field
        return value
    if not isinstance(field, EncryptedTextField) or value in (None, ""):
        return value
    return f"[redacted:{crypto.fingerprint(str(value), context=field.context())}]"
