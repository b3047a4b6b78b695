"""``/api/v1/inbox/notifications`` (one's own notifications: list, unread count, mark read) and
``/api/v1/notifications`` (preferences; for administrators, channels and deliveries with retry).

Handlers parse, look up through ``luoshi.notifications.selectors`` (rows the caller may not see are "not
found"), call one service and answer.
"""

from datetime import datetime, time
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, field_validator

from luoshi import access
from luoshi.access.policy import can_administer_anything
from luoshi.api.errors import refusals
from luoshi.api.fields import ClockTime
from luoshi.api.pagination import PageNumberPagination
from luoshi.api.security import current_user
from luoshi.core import redaction
from luoshi.core.errors import NotAllowed, NotFound
from luoshi.notifications import rules, selectors, services, wording
from luoshi.notifications.models import Channel, Delivery, DeliveryStatus, Notification
from luoshi.organizations.models import Organization, User

inbox_router = Router(tags=["inbox"])
router = Router(tags=["notifications"])


class Input(Schema):
    """Request bodies refuse unknown fields, so a misspelt field is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid")


# --- the inbox ------------------------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    kind: str
    headline: str = Field(description="What happened, in the caller's language.")
    reason: str
    link: str = Field(description="Where to look, inside Luoshi (a path).")
    task: int | None
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_task(obj: Notification) -> int | None:
        return obj.task_id

    @staticmethod
    def resolve_headline(obj: Notification) -> str:
        return _rendered(obj).headline

    @staticmethod
    def resolve_reason(obj: Notification) -> str:
        return _rendered(obj).reason

    @staticmethod
    def resolve_link(obj: Notification) -> str:
        return _rendered(obj).path


def _rendered(notification: Notification) -> wording.Rendered:
    """In the language of the request (the caller's own choice, set by the API's authentication)."""
    return wording.render(notification, language=get_language() or None)


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only notifications not read yet.")


class UnreadOut(Schema):
    unread: int


@inbox_router.get("", response=list[NotificationOut])
@paginate(PageNumberPagination)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> Any:
    """The caller's notifications, newest first."""
    return selectors.inbox(current_user(request), unread_only=filters.unread)


@inbox_router.get("/unread", response=UnreadOut)
def unread(request: HttpRequest) -> dict[str, int]:
    """How many of the caller's notifications are not read yet."""
    return {"unread": selectors.unread_count(current_user(request))}


@inbox_router.post("/read-all", response=UnreadOut)
def read_all(request: HttpRequest) -> dict[str, int]:
    """Mark every notification of the caller read."""
    user = current_user(request)
    services.mark_all_read(actor=user)
    return {"unread": 0}


@inbox_router.post("/{int:notification_id}/read", response=NotificationOut)
def read_one(request: HttpRequest, notification_id: int) -> Notification:
    """Mark one notification read."""
    user = current_user(request)
    return services.mark_read(actor=user, notification=selectors.get_notification(user, notification_id))


# --- preferences ----------------------------------------------------------------------------------


class PreferenceOut(Schema):
    email: bool
    webhook: bool
    dingtalk: bool
    wecom: bool
    quiet_from: ClockTime | None
    quiet_until: ClockTime | None
    version: int | None = Field(description="Send it back when changing; null until first saved.")

    @staticmethod
    def resolve_version(obj: Any) -> int | None:
        return obj.version if obj.pk else None


class PreferenceIn(Input):
    version: int | None = None
    email: bool = True
    webhook: bool = True
    dingtalk: bool = True
    wecom: bool = True
    quiet_from: ClockTime | None = Field(None, description="Local time quiet hours start, e.g. 22:00.")
    quiet_until: ClockTime | None = Field(None, description="Local time they end, e.g. 07:00.")

    @field_validator("quiet_from", "quiet_until")
    @classmethod
    def _local_clock_time(cls, value: time | None) -> time | None:
        # Quiet hours are clock times of the deployment's time zone; an offset without a date means
        # nothing (and the database cannot store one), so only the clock time is kept.
        return value.replace(tzinfo=None) if value is not None else None


@router.get("/preferences", response=PreferenceOut)
def get_preferences(request: HttpRequest) -> Any:
    """The caller's channels and quiet hours."""
    return services.preference_of(current_user(request))


@router.put("/preferences", response=PreferenceOut)
def put_preferences(request: HttpRequest, payload: PreferenceIn) -> Any:
    """Change the caller's channels and quiet hours (409 if ``version`` is no longer current)."""
    data = payload.dict()
    version = data.pop("version")
    return services.preference_update(actor=current_user(request), version=version, **data)


# --- channels (administrators) --------------------------------------------------------------------


class ChannelOut(Schema):
    id: int
    name: str
    kind: str
    url: str = Field(
        description="The address with its query values masked (robots keep their token there); send the "
        "full address to change it."
    )
    has_secret: bool = Field(description="Secrets are never returned.")
    organization: int | None
    is_active: bool
    max_per_minute: int
    version: int

    @staticmethod
    def resolve_url(obj: Channel) -> str:
        return redaction.mask_url(obj.url)

    @staticmethod
    def resolve_has_secret(obj: Channel) -> bool:
        return bool(obj.secret)

    @staticmethod
    def resolve_organization(obj: Channel) -> int | None:
        return obj.organization_id


class ChannelIn(Input):
    name: str = Field(max_length=100)
    kind: str = Field(description="webhook, dingtalk or wecom")
    url: str = Field(max_length=500, description="Its host must be on LUOSHI_WEBHOOK_ALLOWLIST.")
    secret: str = Field("", max_length=200)
    organization: int | None = Field(None, description="A unit; people in its subtree. Null: everyone.")
    is_active: bool = True
    max_per_minute: int = Field(20, ge=0, le=1000)


class ChannelPatch(Input):
    version: int
    name: str | None = Field(None, max_length=100)
    kind: str | None = None
    url: str | None = Field(None, max_length=500)
    secret: str | None = Field(None, max_length=200, description="A new secret; omitted keeps the saved one.")
    clear_secret: bool = False
    organization: int | None = None
    everyone: bool = Field(False, description="Reach everyone (clears the unit).")
    is_active: bool | None = None
    max_per_minute: int | None = Field(None, ge=0, le=1000)


def _admin(request: HttpRequest) -> User:
    user = current_user(request)
    if not can_administer_anything(user):
        raise NotAllowed(_("You are not allowed to do this."))
    return user


def _unit(user: User, pk: int | None) -> Organization | None:
    if pk is None:
        return None
    unit = access.visible(user, Organization.objects.filter(pk=pk)).first()
    if unit is None:
        raise NotFound(_("Not found."))
    return unit


def _channel(user: User, pk: int) -> Channel:
    channel = selectors.channels(user).filter(pk=pk).first()
    if channel is None:
        raise NotFound(_("Not found."))
    return channel


@router.get("/channels", response={200: list[ChannelOut], **refusals(403)})
@paginate(PageNumberPagination)
def list_channels(request: HttpRequest) -> Any:
    """The channels of the units the caller administers (and those reaching everyone)."""
    return selectors.channels(_admin(request))


@router.post("/channels", response={201: ChannelOut})
def create_channel(request: HttpRequest, payload: ChannelIn) -> Status[Channel]:
    user = _admin(request)
    data = payload.dict()
    data["organization"] = _unit(user, data["organization"])
    return Status(201, services.channel_create(actor=user, **data))


@router.get("/channels/{int:channel_id}", response={200: ChannelOut, **refusals(403)})
def get_channel(request: HttpRequest, channel_id: int) -> Channel:
    return _channel(_admin(request), channel_id)


@router.patch("/channels/{int:channel_id}", response=ChannelOut)
def patch_channel(request: HttpRequest, channel_id: int, payload: ChannelPatch) -> Channel:
    user = _admin(request)
    channel = _channel(user, channel_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if data.pop("everyone", False):
        data["organization"] = None
    elif "organization" in data:
        data["organization"] = _unit(user, data["organization"])
    return services.channel_update(actor=user, channel=channel, version=version, **data)


@router.delete("/channels/{int:channel_id}", response={204: None})
def delete_channel(request: HttpRequest, channel_id: int, version: int) -> Status[None]:
    user = _admin(request)
    services.channel_delete(actor=user, channel=_channel(user, channel_id), version=version)
    return Status(204, None)


# --- deliveries (administrators) ------------------------------------------------------------------


class DeliveryOut(Schema):
    id: int
    notification: int
    recipient: int
    kind: str
    channel: int | None
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    sent_at: datetime | None
    version: int

    @staticmethod
    def resolve_notification(obj: Delivery) -> int:
        return obj.notification_id

    @staticmethod
    def resolve_recipient(obj: Delivery) -> int:
        return obj.notification.recipient_id

    @staticmethod
    def resolve_channel(obj: Delivery) -> int | None:
        return obj.channel_id


class DeliveryFilters(Schema):
    status: DeliveryStatus | None = Field(None, description="e.g. failed; all when omitted.")


class RetryIn(Input):
    version: int


@router.get("/deliveries", response={200: list[DeliveryOut], **refusals(403)})
@paginate(PageNumberPagination)
def list_deliveries(request: HttpRequest, filters: Query[DeliveryFilters]) -> Any:
    """Deliveries to people in the units the caller administers, newest first."""
    return selectors.deliveries(_admin(request), status=filters.status)


@router.post("/deliveries/{int:delivery_id}/retry", response=DeliveryOut)
def retry_delivery(request: HttpRequest, delivery_id: int, payload: RetryIn) -> Delivery:
    """Send a failed delivery again (409 unless it failed)."""
    user = _admin(request)
    row = selectors.deliveries(user, status=None).filter(pk=delivery_id).first()
    if row is None:
        raise NotFound(_("Not found."))
    access.require(user, rules.RETRY, row)
    services.delivery_retry(actor=user, delivery_row=row, version=payload.version)
    return selectors.deliveries(user, status=None).get(pk=delivery_id)
