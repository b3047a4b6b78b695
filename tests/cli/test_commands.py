"""The generic commands behind ``luoshi createadmin`` and ``luoshi serve``, called in-process."""

from __future__ import annotations

import socket
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from luoshi.audit.models import AuditEvent
from luoshi.core.management.commands.serve import browser_url, ensure_port_free
from luoshi.organizations.models import Role, User

PASSWORD = "Admin-pass-2026"


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever the default language and its translations."""
    with translation.override("en"):
        yield


def test_createadmin_makes_a_superuser_administering_the_top_unit(city):
    out = StringIO()
    call_command("createadmin", username="root", name="值班管理员", password=PASSWORD, stdout=out)
    person = User.objects.get(username="root")
    assert person.is_superuser
    assert person.check_password(PASSWORD)
    assert list(person.memberships.values_list("organization", "role")) == [(city.government.pk, Role.ADMIN)]
    assert "root" in out.getvalue()
    event = AuditEvent.objects.get(action="person.create", object_id=str(person.pk))
    assert event.changes["after"]["is_superuser"] is True


def test_createadmin_in_an_empty_installation(db):
    call_command("createadmin", password=PASSWORD, stdout=StringIO())
    person = User.objects.get(username="admin")
    assert person.is_superuser
    assert not person.memberships.exists()


def test_createadmin_of_one_unit_without_superuser_rights(city):
    call_command(
        "createadmin",
        username="tiexi2",
        organization="铁西区人民政府",
        superuser=False,
        password=PASSWORD,
        stdout=StringIO(),
    )
    person = User.objects.get(username="tiexi2")
    assert not person.is_superuser
    assert list(person.memberships.values_list("organization", "role")) == [(city.tiexi.pk, Role.ADMIN)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"username": "zhaomin"}, "already exists"),
        ({"organization": "没有这个单位"}, "No organisation"),
        ({"password": "123"}, "password"),
    ],
)
def test_createadmin_refuses_with_a_clear_message(city, options, message):
    before = User.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("createadmin", **({"password": PASSWORD} | options), stdout=StringIO())
    assert User.objects.count() == before


def test_createadmin_needs_a_unit_for_a_plain_administrator(db):
    with pytest.raises(CommandError, match="--organization"):
        call_command("createadmin", superuser=False, password=PASSWORD, stdout=StringIO())


def test_createadmin_asks_for_a_password_only_in_a_terminal(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO())
    with pytest.raises(CommandError, match="--password"):
        call_command("createadmin", stdout=StringIO())


def test_serve_refuses_production_without_collected_static_files(db, settings, tmp_path):
    settings.PRODUCTION = True
    settings.STATIC_ROOT = tmp_path / "static"
    with pytest.raises(CommandError, match="collectstatic"):
        call_command("serve", port=8999, stdout=StringIO())


def test_a_port_in_use_is_named():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"127.0.0.1:{port}"):
            ensure_port_free("127.0.0.1", port)


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/"),
        ("0.0.0.0", "http://127.0.0.1:8000/"),  # noqa: S104
        ("::", "http://[::1]:8000/"),
        ("::1", "http://[::1]:8000/"),
        ("luoshi.local", "http://luoshi.local:8000/"),
    ],
)
def test_browser_url(host, url):
    assert browser_url(host, 8000) == url
