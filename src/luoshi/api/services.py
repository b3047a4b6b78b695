"""Issuing, using and revoking API tokens. Each function is one use case, atomic, audited."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from luoshi.api.models import ApiToken, hash_secret
from luoshi.audit import services as audit
from luoshi.organizations.models import User

# Recognisable in logs and by secret scanners; the random part carries the 256 bits of entropy.
SECRET_PREFIX = "lsh_"  # noqa: S105 -- a public marker in front of the secret, not a secret
# Recording each use costs a write, so a token's last use is refreshed at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it with the secret, which exists nowhere else afterwards."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    days = settings.LUOSHI_API_TOKEN_DAYS
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        key_hash=hash_secret(secret),
        expires_at=timezone.now() + timedelta(days=days) if days > 0 else None,
    )
    audit.record(
        actor=user,
        action="api_token.create",
        obj=token,
        changes={"name": token.name, "expires_at": token.expires_at},
    )
    return token, secret


def token_authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret (its person loaded), or None; notes when it was last used."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=hash_secret(secret)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Stop ``token`` from working from now on; revoking twice changes nothing."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="api_token.revoke", obj=token)
    return token
