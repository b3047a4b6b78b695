"""``/api/v1/auth``: exchanging a username and password for an API token, and revoking it."""

from datetime import datetime

from django.contrib.auth import authenticate, user_logged_in
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthenticationError

from luoshi.accounts import selectors as account_selectors
from luoshi.accounts import services as account_services
from luoshi.api import services
from luoshi.api.errors import (
    BadCredentials,
    LockedOut,
    SecondFactorNeeded,
    SecondFactorNotSetUp,
    SecondFactorWrong,
    refusals,
)
from luoshi.api.models import ApiToken
from luoshi.api.security import current_user, token_auth
from luoshi.organizations.models import User

router = Router(tags=["auth"])


class TokenRequest(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=4096)
    name: str = Field("", max_length=100, description="What the token is for, e.g. the script using it.")
    otp: str = Field(
        "",
        max_length=32,
        description="A code from the authenticator app, or a recovery code: required when the account has "
        "set one up, as on the login page.",
    )


class TokenOut(Schema):
    token: str = Field(description="The secret: send it as `Authorization: Bearer <token>`. Shown once.")
    name: str
    expires_at: datetime | None


@router.post("/token", auth=None, response={201: TokenOut, **refusals(401, 403, 429)})
def create_token(request: HttpRequest, payload: TokenRequest) -> Status[TokenOut]:
    """Issue a token for the person with this username and password.

    An account with an authenticator app also sends a code from it (or a recovery code) in ``otp``;
    where the installation requires a second factor, an account without one gets 403 until it sets one up.

    Failures count towards the sign-in lockout shared with the login page (django-axes): after too many
    the username is refused for a while with 429, whether or not such a person exists, so neither the
    401 nor the 429 tells whether an account exists.
    """
    # Through ``authenticate`` with the request, so that axes sees every attempt and enforces lockouts.
    user = authenticate(request=request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # Answered here in the API's shape; left set, AxesMiddleware would swap in the login page's answer.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise LockedOut()
    if not isinstance(user, User):
        raise BadCredentials()
    # The second factor counts for programs too; otherwise a password alone would get around it.
    if account_selectors.has_second_factor(user):
        if not payload.otp.strip():
            raise SecondFactorNeeded()
        if account_services.second_step_verify(user=user, code=payload.otp.strip()).device is None:
            raise SecondFactorWrong()
    elif account_selectors.two_factor_required():
        raise SecondFactorNotSetUp()
    # A token is a sign-in: the signal resets the failure count (AXES_RESET_ON_SUCCESS) and last_login.
    user_logged_in.send(sender=type(user), request=request, user=user)
    token, secret = services.token_create(user=user, name=payload.name)
    return Status(201, TokenOut(token=secret, name=token.name, expires_at=token.expires_at))


@router.delete("/token", auth=token_auth, response={204: None})
def revoke_token(request: HttpRequest) -> Status[None]:
    """Revoke the token this request was made with; it stops working at once."""
    token = getattr(request, "api_token", None)
    if not isinstance(token, ApiToken):
        raise AuthenticationError()
    services.token_revoke(actor=current_user(request), token=token)
    return Status(204, None)
