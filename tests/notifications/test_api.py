"""The notification API: one's inbox, preferences, and for administrators channels and deliveries."""

from __future__ import annotations

import pytest

from luoshi.notifications import services
from luoshi.notifications.models import Channel, Delivery, DeliveryStatus, Notification
from luoshi.organizations.models import LanguageChoice

pytestmark = pytest.mark.django_db


def notify(users, key="api", **payload):
    return services.queue_for_users(kind="test.notice", users=users, key=key, payload=payload)


def test_the_inbox_lists_ones_own_notifications_in_ones_language(desk, api_as):
    wang = desk.city.wang
    wang.language = LanguageChoice.EN
    wang.save()
    desk.city_task(title="推进老旧小区改造")  # assigning notifies 铁西区's people
    notify([desk.city.sun], key="other")
    api = api_as(wang)
    answer = api.get("/api/v1/inbox/notifications").json()
    assert answer["count"] == 1
    [item] = answer["items"]
    assert item["headline"] == "A task was assigned to your unit: 推进老旧小区改造"
    assert item["link"] == f"/tasks/{item['task']}/"
    assert api.get("/api/v1/inbox/notifications/unread").json() == {"unread": 1}

    read = api.post(f"/api/v1/inbox/notifications/{item['id']}/read")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert api.get("/api/v1/inbox/notifications", {"unread": True}).json()["count"] == 0
    # The task inbox at /api/v1/inbox still answers as before.
    assert "to_acknowledge" in api.get("/api/v1/inbox").json()


def test_nobody_reads_anothers_notifications(city, api_as):
    notify([city.wang])
    mine = Notification.objects.get()
    answer = api_as(city.sun).post(f"/api/v1/inbox/notifications/{mine.pk}/read")
    assert answer.status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None


def test_read_all(city, api_as):
    notify([city.wang], key="a")
    notify([city.wang], key="b")
    api = api_as(city.wang)
    assert api.post("/api/v1/inbox/notifications/read-all").json() == {"unread": 0}
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_preferences_round_trip_and_refuse_half_quiet_hours(city, api_as):
    api = api_as(city.wang)
    assert api.get("/api/v1/notifications/preferences").json()["version"] is None
    answer = api.client.put(
        "/api/v1/notifications/preferences",
        {"email": False, "quiet_from": "22:00", "quiet_until": "07:00"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["email"] is False
    bad = api.client.put(
        "/api/v1/notifications/preferences",
        {"version": answer.json()["version"], "quiet_from": "22:00"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "quiet_until" in bad.json()["error"]["fields"]


def test_administrators_manage_channels_and_secrets_are_never_returned(city, api_as):
    api = api_as(city.admin)
    created = api.post(
        "/api/v1/notifications/channels",
        {
            "name": "督查群机器人",
            "kind": "dingtalk",
            "url": "http://127.0.0.1:9/robot?access_token=t0ken",
            "secret": "SEC1",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["has_secret"] is True
    assert "secret" not in body
    # The robot's token travels in its address: shown masked, kept whole.
    assert body["url"] == "http://127.0.0.1:9/robot?access_token=[redacted]"
    assert Channel.objects.get().url.endswith("access_token=t0ken")
    patched = api.patch(
        f"/api/v1/notifications/channels/{body['id']}", {"version": body["version"], "is_active": False}
    )
    assert patched.json()["is_active"] is False
    assert Channel.objects.get().secret == "SEC1"
    # Outside the allowlist: refused, naming the field.
    refused = api.post(
        "/api/v1/notifications/channels", {"name": "外网", "kind": "webhook", "url": "https://example.com/h"}
    )
    assert refused.status_code == 422
    assert "url" in refused.json()["error"]["fields"]
    # Handlers do not manage channels.
    assert api_as(city.wang).get("/api/v1/notifications/channels").status_code == 403
    gone = api.delete(f"/api/v1/notifications/channels/{body['id']}?version={patched.json()['version']}")
    assert gone.status_code == 204
    assert not Channel.objects.exists()


def test_failed_deliveries_are_listed_for_administrators_and_retried(city, api_as, sink):
    sink.status = 500
    services.channel_create(actor=city.admin, name="sink", kind="webhook", url=sink.url + "/h")
    notify([city.wang])
    for _ in range(3):
        services.deliver_pending()
        Delivery.objects.update(next_attempt_at=Delivery.objects.get().created_at)
    api = api_as(city.admin)
    answer = api.get("/api/v1/notifications/deliveries", {"status": "failed"}).json()
    assert answer["count"] == 1
    [row] = answer["items"]
    assert "HTTP 500" in row["last_error"]
    retried = api.post(f"/api/v1/notifications/deliveries/{row['id']}/retry", {"version": row["version"]})
    assert retried.json()["status"] == DeliveryStatus.PENDING
    assert api.post(f"/api/v1/notifications/deliveries/{row['id']}/retry", {"version": 1}).status_code == 409
    assert api_as(city.sun).get("/api/v1/notifications/deliveries").status_code == 403
