"""The start page, the frame around every page, and the audit trail page."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from luoshi.audit.models import AuditEvent
from luoshi.notifications import selectors as notifications
from luoshi.notifications.models import Notification
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Membership, User
from luoshi.web import selectors


def test_home_shows_units_roles_and_reach(login, city):
    body = login(city.wang).get(reverse("web:home")).content.decode()
    assert city.tiexi.name in body
    assert "Handler" in body
    # 鞍山市人民政府, 铁西区 and its street; wang and chen.
    assert '<a href="/organizations/">3</a>' in body
    assert '<a href="/people/">3</a>' in body  # wang, chen and tiexi_admin


def test_frame_has_landmarks_name_unit_and_navigation(login, city):
    body = login(city.wang).get(reverse("web:home")).content.decode()
    assert 'href="#main"' in body
    assert '<main id="main"' in body
    assert "<nav" in body
    assert "王芳" in body
    assert city.tiexi.display_name in body
    assert reverse("web:audit_list") not in body  # handlers do not read the audit trail
    assert "<script>" not in body
    assert " onclick=" not in body
    assert " style=" not in body


def test_the_frame_reads_the_unread_count_and_the_unit_in_one_statement(city, django_assert_num_queries):
    """``selectors.frame_of`` writes out what ``notifications.selectors.unread_count`` and the primary
    membership's ``Organization.display_name`` answer."""
    for key in ("a", "b", "c"):
        Notification.objects.create(recipient=city.wang, kind="test", idempotency_key=key)
    Notification.objects.filter(idempotency_key="c").update(read_at=timezone.now())
    with django_assert_num_queries(1):
        frame = selectors.frame_of(city.wang)
    assert frame.unread == notifications.unread_count(city.wang) == 2
    primary = Membership.objects.filter(user=city.wang).order_by("-is_primary", "organization__path").first()
    assert frame.unit == primary.organization.display_name
    nobody = User.objects.create_user(username="nobody", password="x")
    assert selectors.frame_of(nobody) == selectors.Frame(unread=0, unit=None)


def test_audit_link_only_for_those_who_may_read_it(login, city, auditor):
    assert reverse("web:audit_list") in login(auditor).get(reverse("web:home")).content.decode()
    # Separation of duties: the supervision office's own supervisor does not read the whole trail.
    assert reverse("web:audit_list") not in login(city.zhao).get(reverse("web:home")).content.decode()


def test_audit_page_lists_newest_first_and_filters(login, city, auditor):
    orgs.organization_update(actor=city.admin, org=city.tiexi, version=city.tiexi.version, short_name="铁西")
    client = login(auditor)
    body = client.get(reverse("web:audit_list")).content.decode()
    newest = AuditEvent.objects.order_by("-seq").first()
    assert f'<td data-label="#" class="num">{newest.seq}</td>' in body
    filtered = client.get(reverse("web:audit_list"), {"action": "organization.update"}).content.decode()
    assert "Unit changed" in filtered
    assert "Person added" not in filtered


def test_audit_page_pages_by_sequence(login, city, auditor):
    client = login(auditor)
    total = AuditEvent.objects.count()
    assert total > 10
    first = client.get(reverse("web:audit_list")).content.decode()
    assert first.count('data-label="#"') == min(total, 50)
    older = client.get(reverse("web:audit_list"), {"before": 5}).content.decode()
    assert older.count('data-label="#"') == 4


def test_audit_page_refused_to_handlers(login, city):
    assert login(city.wang).get(reverse("web:audit_list")).status_code == 403


def test_verify_chain_button_reports_an_intact_trail(login, city, auditor):
    response = login(auditor).post(reverse("web:audit_verify"))
    assert response.status_code == 200
    assert "The audit trail is intact" in response.content.decode()
