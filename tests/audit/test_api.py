"""The audit endpoints and selectors: who may read the trail, filters, cursor pagination, verification."""

from __future__ import annotations

import pytest
from ninja.testing import TestClient

from luoshi.audit import selectors
from luoshi.audit.api import router
from luoshi.audit.models import AuditEvent
from luoshi.core.errors import NotAllowed, ValidationFailed


@pytest.fixture
def client() -> TestClient:
    return TestClient(router)


def test_the_audit_administrator_lists_the_trail_newest_first(city, client, auditor):
    response = client.get("/", user=auditor)

    assert response.status_code == 200
    seqs = [item["seq"] for item in response.json()["items"]]
    assert seqs == sorted(AuditEvent.objects.values_list("seq", flat=True), reverse=True)
    assert response.json()["next_cursor"] is None


# Administrators and supervisors too: only the audit administrator reads the whole trail.
@pytest.mark.parametrize("persona", ["admin", "zhao", "tiexi_admin", "li", "wang", "chen"])
def test_others_are_refused(city, client, persona):
    with pytest.raises(NotAllowed):
        client.get("/", user=getattr(city, persona))
    with pytest.raises(NotAllowed):
        client.get("/verify", user=getattr(city, persona))


def test_a_superuser_is_refused_too(city, client):
    from luoshi.organizations.models import User

    root = User.objects.create_superuser("root", password="Root-pass-2026")
    with pytest.raises(NotAllowed):
        client.get("/", user=root)
    assert selectors.recent_events(root).count() == 0


def test_anonymous_is_refused(city, client):
    with pytest.raises(NotAllowed):
        client.get("/")


def test_token_auth_user_is_used(city, client, auditor):
    # With token auth, ``request.auth`` is the user and ``request.user`` may be anonymous.
    response = client.get("/", auth=auditor)

    assert response.status_code == 200


def test_filter_by_object(city, client, auditor):
    expected = [e.seq for e in selectors.events_for_object("organizations.organization", city.tiexi.pk)]
    assert expected, "creating the unit was recorded"

    by_parts = client.get(
        f"/?object_type=organizations.organization&object_id={city.tiexi.pk}", user=auditor
    ).json()
    by_ref = client.get(f"/?object=organizations.organization:{city.tiexi.pk}", user=auditor).json()

    assert [i["seq"] for i in by_parts["items"]] == expected
    assert by_ref == by_parts
    assert by_ref["items"][0]["object_repr"] == str(city.tiexi)


def test_malformed_object_is_a_field_error(city, client, auditor):
    with pytest.raises(ValidationFailed) as failure:
        client.get("/?object=organizations.organization", user=auditor)

    assert "object" in failure.value.fields


def test_cursor_pagination_walks_the_whole_trail_once(city, client, auditor):
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        path = "/?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(path, user=auditor).json()
        seen += [item["seq"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    total = AuditEvent.objects.count()
    assert seen == list(range(total, 0, -1))
    assert pages == -(-total // 4)


def test_list_fields(city, client, auditor):
    item = client.get("/?limit=1", user=auditor).json()["items"][0]
    last = AuditEvent.objects.order_by("-seq").first()

    assert item["hash"] == last.hash
    assert item["prev_hash"] == last.prev_hash
    assert item["action"] == last.action
    assert item["changes"] == last.changes
    assert item["occurred_at"].endswith(("+08:00", "Z", "+00:00"))


def test_verify_endpoint(city, client, tamper, auditor):
    ok = client.get("/verify", user=auditor).json()
    assert ok["ok"] is True
    assert ok["count"] == AuditEvent.objects.count()
    assert ok["first_broken"] is None

    victim = AuditEvent.objects.get(seq=3)
    tamper("UPDATE audit_auditevent SET object_repr = %s WHERE seq = %s", ["改过的", 3])
    broken = client.get("/verify", user=auditor).json()

    assert broken["ok"] is False
    assert broken["first_broken"]["seq"] == 3
    assert broken["first_broken"]["id"] == victim.pk
    assert broken["first_broken"]["object_type"] == victim.object_type
    assert "#3" in broken["message"]


def test_recent_events_is_empty_for_non_auditors(city, auditor):
    assert selectors.recent_events(city.wang).count() == 0
    assert selectors.recent_events(city.zhao).count() == 0
    assert selectors.recent_events(auditor).count() == AuditEvent.objects.count()


def test_recent_events_filters(city, auditor):
    created = selectors.recent_events(auditor, action="person.create")
    assert created.count() == 8  # the city's seven and the auditor
    older = selectors.recent_events(auditor, before_seq=3)
    assert list(older.values_list("seq", flat=True)) == [2, 1]


def test_events_for_object_loads_actors_in_one_query(city, django_assert_num_queries):
    from luoshi.organizations import services as orgs

    orgs.organization_update(actor=city.admin, org=city.tiexi, version=None, short_name="铁西")
    orgs.organization_update(actor=city.zhao, org=city.tiexi, version=None, short_name="铁西区")

    with django_assert_num_queries(1):
        names = [
            e.actor.username if e.actor else ""
            for e in selectors.events_for_object("organizations.organization", city.tiexi.pk)
        ]

    assert names == ["zhaomin", "admin", ""]
