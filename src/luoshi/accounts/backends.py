"""How a request finds its signed-in person."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import router

from luoshi.core import sql
from luoshi.organizations.models import User

_COLUMNS = sql.ModelColumns(User, "u")
_BY_ID = f'SELECT {_COLUMNS.sql} FROM "{User._meta.db_table}" u WHERE u."id" = %s'  # noqa: S608 -- the model's names


class AccountBackend(ModelBackend):
    """Django's own sign-in by username and password; only ``get_user``, asked by every request for the
    person its session names, reads the row with a written-out statement (building the ORM's query cost
    three times running it)."""

    def get_user(self, user_id: Any) -> User | None:
        rows = sql.read_rows(User, _BY_ID, [user_id])
        if not rows:
            return None
        user = _COLUMNS.build(rows[0], using=router.db_for_read(User))
        return user if self.user_can_authenticate(user) else None
