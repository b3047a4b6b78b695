"""Delivering the outbox: planning per channel, sending, retries with backoff, failures an administrator
sees, quiet hours, robot digests, and the allowlist."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from luoshi import access
from luoshi.core.errors import Conflict, NotAllowed, ValidationFailed
from luoshi.notifications import channels, delivery, services
from luoshi.notifications.models import (
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationStatus,
    Preference,
)
from luoshi.tasks.models import Priority
from tests.notifications.sink import Sink

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the deployment's TIME_ZONE


class ChangeFailed(RuntimeError):
    pass


def notify(users, key="event-1", **payload):
    return services.queue_for_users(kind="test.notice", users=users, key=key, payload=payload)


def webhook(actor, sink: Sink, *, kind=ChannelKind.WEBHOOK, secret="s3cret", organization=None, **kwargs):  # noqa: S107
    return services.channel_create(
        actor=actor,
        name=f"{kind} channel",
        kind=kind,
        url=sink.url + kwargs.pop("path", "/hook"),
        secret=secret,
        organization=organization,
        **kwargs,
    )


def test_a_committed_notification_goes_to_email_and_channels_once(city, sink, english):
    city.wang.email = "wang@example.org"
    city.wang.save()
    hook = webhook(city.admin, sink)
    notify([city.wang], headline="Please look at the report")

    assert services.deliver_pending() == 2
    assert services.deliver_pending() == 0  # nothing twice

    assert [m.to for m in mail.outbox] == [["wang@example.org"]]
    assert sink.keys() == [f"{Notification.objects.get().pk}:channel-{hook.pk}"]
    notification = Notification.objects.get()
    assert notification.status == NotificationStatus.SENT
    assert set(notification.deliveries.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_rolled_back_changes_notify_nobody(city, sink):
    webhook(city.admin, sink)
    with pytest.raises(ChangeFailed), transaction.atomic():  # noqa: PT012 (the change and its failure)
        notify([city.wang])
        raise ChangeFailed
    assert services.deliver_pending() == 0
    assert sink.received == []


def test_webhook_is_signed_with_hmac_sha256(city, sink):
    webhook(city.admin, sink, secret="topsecret")
    notify([city.wang])
    services.deliver_pending()
    [request] = sink.received
    timestamp = request.headers["X-Luoshi-Timestamp"]
    expected = hmac.new(b"topsecret", timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Luoshi-Signature"] == f"sha256={expected}"
    assert request.headers["Idempotency-Key"] == request.json()["key"]


def test_dingtalk_robot_signs_timestamp_and_secret(city, sink):
    webhook(city.admin, sink, kind=ChannelKind.DINGTALK, secret="SECabc", path="/robot/send?access_token=t")
    notify([city.wang])
    services.deliver_pending()
    [request] = sink.received
    query = parse_qs(urlsplit(request.path).query)
    timestamp = query["timestamp"][0]
    digest = hmac.new(b"SECabc", f"{timestamp}\nSECabc".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(digest).decode()]
    assert query["access_token"] == ["t"]
    assert request.json()["msgtype"] == "markdown"


def test_wecom_robot_refusal_is_a_failed_attempt(city, sink):
    webhook(city.admin, sink, kind=ChannelKind.WECOM, secret="", path="/cgi-bin/webhook/send?key=k")
    sink.answer = b'{"errcode": 93000, "errmsg": "invalid webhook url"}'
    notify([city.wang])
    assert services.deliver_pending() == 0
    row = Delivery.objects.get()
    assert row.status == DeliveryStatus.PENDING
    assert "93000" in row.last_error


def test_failures_back_off_then_fail_where_an_administrator_sees_them(city, sink):
    sink.status = 500
    webhook(city.admin, sink)
    notify([city.wang])
    start = timezone.now()
    waits = []
    for attempt in range(1, 4):
        now = start + timedelta(hours=attempt)
        delivery.run(limit=10, now=now)
        row = Delivery.objects.get()
        assert row.attempts == attempt
        waits.append(row.next_attempt_at - now)
    # Backoff doubled between attempts (10 s, 20 s), and the third attempt was the last.
    assert waits[0] < waits[1]
    assert row.status == DeliveryStatus.FAILED
    assert "HTTP 500" in row.last_error
    assert Notification.objects.get().status == NotificationStatus.FAILED
    # The city administrator sees it; the handler does not.
    assert list(access.visible(city.admin, Delivery.objects.filter(status="failed"))) == [row]
    assert not access.visible(city.wang, Delivery.objects.all()).exists()

    sink.status = 200
    retried = services.delivery_retry(actor=city.admin, delivery_row=row, version=row.version)
    assert retried.status == DeliveryStatus.PENDING
    assert services.deliver_pending() == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_only_failed_deliveries_are_retried_by_hand(city, sink):
    webhook(city.admin, sink)
    notify([city.wang])
    services.deliver_pending()
    row = Delivery.objects.get()
    with pytest.raises(Conflict):
        services.delivery_retry(actor=city.admin, delivery_row=row, version=row.version)


def test_a_failing_channel_does_not_block_the_others(city, sink):
    city.wang.email = "wang@example.org"
    city.wang.save()
    bad = services.channel_create(
        actor=city.admin, name="down", kind=ChannelKind.WEBHOOK, url="http://127.0.0.1:9/hook"
    )
    good = webhook(city.admin, sink)
    notify([city.wang])
    assert services.deliver_pending() == 2
    statuses = dict(Delivery.objects.values_list("channel_id", "status"))
    assert statuses == {
        None: DeliveryStatus.SENT,
        good.pk: DeliveryStatus.SENT,
        bad.pk: DeliveryStatus.PENDING,
    }


def test_channels_reach_the_people_of_their_unit_and_respect_preferences(city, sink):
    tiexi_hook = webhook(city.admin, sink, organization=city.tiexi)
    Preference.objects.create(user=city.chen, webhook=False)
    notify([city.wang, city.sun, city.chen])
    services.deliver_pending()
    # Wang works in 铁西区; Sun in 铁东区 (not covered); Chen under 铁西区 turned webhooks off.
    assert [r.json()["items"][0]["recipient"] for r in sink.received] == ["王芳"]
    assert tiexi_hook.deliveries.count() == 1


def test_an_administrator_manages_channels_of_their_own_subtree_only(city, sink):
    with pytest.raises(NotAllowed):
        webhook(city.tiexi_admin, sink)  # everyone: only the city's administrators
    with pytest.raises(ValidationFailed) as caught:
        webhook(city.tiexi_admin, sink, organization=city.tiedong)
    assert "organization" in caught.value.fields
    channel = webhook(city.tiexi_admin, sink, organization=city.tiexi_street)
    updated = services.channel_update(
        actor=city.tiexi_admin, channel=channel, version=channel.version, name="街道机器人"
    )
    assert updated.name == "街道机器人"
    with pytest.raises(Conflict):
        services.channel_update(actor=city.tiexi_admin, channel=channel, version=channel.version, name="x")


def test_webhooks_reach_only_hosts_on_the_allowlist(city, settings, english):
    with pytest.raises(ValidationFailed) as caught:
        services.channel_create(
            actor=city.admin, name="out", kind=ChannelKind.WEBHOOK, url="https://hooks.example.com/x"
        )
    assert "url" in caught.value.fields
    assert not Channel.objects.exists()
    # A channel saved while its host was allowed is refused at send time once the list changes.
    channel = services.channel_create(
        actor=city.admin, name="in", kind=ChannelKind.WEBHOOK, url="http://127.0.0.1:9/x"
    )
    settings.LUOSHI_WEBHOOK_ALLOWLIST = ["hooks.intranet"]
    notify([city.wang])
    services.deliver_pending()
    assert "allowlist" in channel.deliveries.get().last_error


def test_quiet_hours_hold_messages_until_they_end_but_not_urgent_ones(city, sink):
    webhook(city.admin, sink)
    Preference.objects.create(user=city.wang, quiet_from=time(22, 0), quiet_until=time(7, 0))
    night = datetime(2024, 3, 1, 23, 30, tzinfo=SHANGHAI)
    notify([city.wang], key="ordinary")
    notify([city.wang], key="urgent", urgent=True)
    delivery.run(limit=10, now=night)
    assert len(sink.received) == 1  # the urgent one
    held = Delivery.objects.get(status=DeliveryStatus.PENDING)
    assert timezone.localtime(held.next_attempt_at) == datetime(2024, 3, 2, 7, 0, tzinfo=SHANGHAI)
    delivery.run(limit=10, now=night + timedelta(hours=8))
    assert len(sink.received) == 2


def test_urgent_tasks_pass_quiet_hours(desk, sink):
    webhook(desk.city.admin, sink)
    Preference.objects.create(user=desk.city.wang, quiet_from=time(0, 0), quiet_until=time(23, 59))
    desk.city_task(priority=Priority.URGENT)  # assigning notifies 铁西区 (Wang)
    assert delivery.is_urgent(Notification.objects.get(recipient=desk.city.wang))


def test_robots_get_at_most_twenty_messages_a_minute_the_rest_as_a_digest(city, sink):
    robot = webhook(city.admin, sink, kind=ChannelKind.DINGTALK, secret="")
    for n in range(25):
        notify([city.wang], key=f"e{n}")
    now = timezone.now()
    assert delivery.run(limit=200, now=now) == 25
    assert len(sink.received) == 20
    assert (
        "Digest" in sink.received[-1].json()["markdown"]["title"]
        or "汇总" in sink.received[-1].json()["markdown"]["title"]
    )
    assert Delivery.objects.filter(status=DeliveryStatus.DIGESTED).count() == 6

    # The minute's allowance is spent: later notifications wait for the next minute.
    for n in range(3):
        notify([city.wang], key=f"late{n}")
    assert delivery.run(limit=200, now=now + timedelta(seconds=10)) == 0
    assert len(sink.received) == 20
    waiting = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    assert {d.attempts for d in waiting} == {0}
    assert delivery.run(limit=200, now=now + timedelta(seconds=61)) == 3
    robot.refresh_from_db()
    assert robot.window_count == 3


def test_a_worker_that_dies_mid_send_leaves_the_delivery_to_the_next_after_its_lease(city, sink):
    webhook(city.admin, sink)
    notify([city.wang])
    now = timezone.now()
    delivery.plan(limit=10, now=now)
    claimed = delivery.claim(limit=10, now=now)  # …and the worker dies before sending
    assert len(claimed) == 1
    assert delivery.run(limit=10, now=now + timedelta(seconds=5)) == 0  # still leased
    assert delivery.run(limit=10, now=now + timedelta(seconds=31)) == 1
    assert Delivery.objects.get().attempts == 2


def test_notifications_without_further_channels_are_done_once_planned(city):
    notify([city.wang])
    services.deliver_pending()
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_planning_and_sending_take_a_fixed_number_of_queries(city, sink, django_assert_max_num_queries):
    webhook(city.admin, sink)
    webhook(city.admin, sink, kind=ChannelKind.WECOM, secret="", organization=city.tiexi)
    people = [city.wang, city.sun]  # Wang gets both channels, Sun the webhook: 3 messages a notice

    def measure(notices: int) -> int:
        for n in range(notices):
            notify(people, key=f"{notices}-{n}")
        with django_assert_max_num_queries(200) as captured:
            assert services.deliver_pending() == 3 * notices
        return len(captured.captured_queries)

    small, large = measure(2), measure(6)
    # Recording each message's outcome is one query; planning, claiming and settling do not grow.
    assert large - small <= 3 * (6 - 2)


def test_channel_signature_helper_matches_dingtalk_reference():
    url = channels.dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=x", "SEC1", 1700000000000
    )
    sign = parse_qs(urlsplit(url).query)["sign"][0]
    expected = base64.b64encode(hmac.new(b"SEC1", b"1700000000000\nSEC1", hashlib.sha256).digest()).decode()
    assert sign == expected


@pytest.mark.postgres_only
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite's in-memory test database locks whole tables across threads; deployments on SQLite "
    "run one worker (the demo's scheduler)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_send_the_same_delivery_twice(city, sink):
    """Two workers at once: rows one has claimed are skipped by the other (SKIP LOCKED)."""
    import threading

    from django.db import connection as default_connection

    webhook(city.admin, sink)
    for n in range(30):
        notify([city.wang, city.sun], key=f"c{n}")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while services.deliver_pending(limit=7):
                pass
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            default_connection.close()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    services.deliver_pending()  # whatever a worker left when the other had claimed the rest
    keys = sink.keys()
    assert len(keys) == 60
    assert len(set(keys)) == 60
