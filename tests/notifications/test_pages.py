"""The notification pages: the inbox with unread counts, preferences, channels and failed deliveries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from luoshi.notifications import services
from luoshi.notifications.models import Channel, Delivery, DeliveryStatus, Notification, Preference

pytestmark = pytest.mark.django_db


def notify(users, key="page", **payload):
    return services.queue_for_users(kind="test.notice", users=users, key=key, payload=payload)


def test_the_navigation_shows_the_unread_count_and_the_inbox_marks_read(city, login):
    notify([city.wang], key="a", headline="第一条通知")
    notify([city.wang], key="b", headline="第二条通知")
    client = login(city.wang)
    page = client.get(reverse("web:notification_inbox")).content.decode()
    assert "第一条通知" in page
    assert "第二条通知" in page
    assert '<span class="tag tag-bad">2<span class="visually-hidden"> unread</span>' in page

    first = Notification.objects.get(idempotency_key__startswith="a:")
    client.post(reverse("web:notification_read", args=[first.pk]), {"next": "/notifications/"})
    page = client.get(reverse("web:notification_inbox"), {"show": "unread"}).content.decode()
    assert "第一条通知" not in page
    assert "第二条通知" in page

    client.post(reverse("web:notification_read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_inbox_takes_a_fixed_number_of_queries(city, login, django_assert_max_num_queries):
    client = login(city.wang)
    notify([city.wang], key="one")
    client.get(reverse("web:notification_inbox"))  # the session's first request does more
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("web:notification_inbox"))
    for n in range(20):
        notify([city.wang], key=f"many{n}")
    with django_assert_max_num_queries(30) as many:
        client.get(reverse("web:notification_inbox"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_preferences_page_saves_quiet_hours_and_names_the_bad_field(city, login):
    client = login(city.wang)
    url = reverse("web:notification_preferences")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"email": "on", "quiet_from": "22:00"})
    assert bad.status_code == 422
    assert "Give both the start and the end" in bad.content.decode()
    assert not Preference.objects.exists()
    ok = client.post(url, {"dingtalk": "on", "quiet_from": "22:00", "quiet_until": "07:00"})
    assert ok.status_code == 302
    preference = Preference.objects.get()
    assert (preference.email, preference.dingtalk) == (False, True)


def test_an_administrator_adds_a_channel_on_the_page(city, login):
    client = login(city.admin)
    url = reverse("web:notification_channel_new")
    refused = client.post(
        url, {"name": "外网", "kind": "webhook", "url": "https://example.com/x", "max_per_minute": 20}
    )
    assert refused.status_code == 422
    assert "allowlist" in refused.content.decode()
    done = client.post(
        url,
        {
            "name": "铁西区钉钉群",
            "kind": "dingtalk",
            "url": "http://127.0.0.1:9/robot",
            "secret": "SEC",
            "organization": city.tiexi.pk,
            "is_active": "on",
            "max_per_minute": 20,
        },
    )
    assert done.status_code == 302, done.content.decode()
    channel = Channel.objects.get()
    assert (channel.organization, channel.secret) == (city.tiexi, "SEC")
    page = client.get(reverse("web:notification_channels")).content.decode()
    assert "铁西区钉钉群" in page
    assert "SEC" not in page
    # Editing without a secret keeps the saved one.
    client.post(
        reverse("web:notification_channel_edit", args=[channel.pk]),
        {
            "name": "铁西区群",
            "kind": "dingtalk",
            "url": "http://127.0.0.1:9/robot",
            "organization": city.tiexi.pk,
            "is_active": "on",
            "max_per_minute": 20,
            "version": channel.version,
        },
    )
    channel.refresh_from_db()
    assert (channel.name, channel.secret) == ("铁西区群", "SEC")


def test_handlers_see_no_channel_or_delivery_pages(city, login):
    client = login(city.wang)
    assert client.get(reverse("web:notification_channels")).status_code == 403
    assert client.get(reverse("web:notification_deliveries")).status_code == 403


def test_failed_deliveries_page_shows_the_error_and_retries(city, login, sink):
    sink.status = 500
    services.channel_create(actor=city.admin, name="sink", kind="webhook", url=sink.url + "/h")
    notify([city.wang])
    for _ in range(3):
        services.deliver_pending()
        Delivery.objects.update(next_attempt_at=Delivery.objects.get().created_at)
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.FAILED
    client = login(city.admin)
    page = client.get(reverse("web:notification_deliveries")).content.decode()
    assert "HTTP 500" in page
    assert "王芳" in page
    client.post(reverse("web:notification_delivery_retry", args=[row.pk]), {"version": row.version})
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING


def test_pages_read_well_in_chinese(city, client):
    notify([city.wang], key="zh")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(city.admin)
    for name in (
        "web:notification_inbox",
        "web:notification_preferences",
        "web:notification_channels",
        "web:notification_deliveries",
        "web:notification_channel_new",
    ):
        assert client.get(reverse(name)).status_code == 200
