"""Shared fixtures: a small city with named personas (see SCENARIOS.md for who they are)."""

from __future__ import annotations

import base64
import importlib
import os
from dataclasses import dataclass

import pytest
from django.apps import apps as django_apps
from django.conf import settings

from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization, OrganizationKind, Role, User

PASSWORD = "Luoshi-test-2026"

# The processes tests start (servers, workers, CLI runs) share the test databases, so they must share the
# field encryption keys too: one ring in the environment, which subprocesses inherit.
TEST_FIELD_KEYS = "test:" + base64.b64encode(b"luoshi-tests-field-key-32-bytes!").decode()
os.environ.setdefault("LUOSHI_FIELD_KEYS", TEST_FIELD_KEYS)
settings.LUOSHI_FIELD_KEYS = os.environ["LUOSHI_FIELD_KEYS"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``own_database`` run a process of their own on a database of their own choosing (the
    demo's SQLite file, fixed settings), never the one under test: the PostgreSQL pass would repeat them
    exactly, so only the SQLite pass runs them."""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    once = pytest.mark.skip(reason="runs on its own database whatever the suite's; the SQLite pass runs it")
    # A test that asks for no database cannot reach one (pytest-django refuses it), so the PostgreSQL pass
    # would repeat it exactly: the text analysis, the calendars, the ciphers.
    no_database = pytest.mark.skip(reason="uses no database; the SQLite pass runs it")
    database_fixtures = {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
    }
    for item in items:
        if item.get_closest_marker("own_database"):
            item.add_marker(once)
        elif not item.get_closest_marker("django_db") and not database_fixtures & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(no_database)


@dataclass
class City:
    """A small city: government, supervision office, one bureau, two districts with a street each."""

    government: Organization
    supervision_office: Organization
    ecology_bureau: Organization
    tiexi: Organization
    tiexi_street: Organization
    tiedong: Organization
    tiedong_street: Organization
    admin: User
    zhao: User  # supervisor, municipal supervision office
    li: User  # head, ecology and environment bureau
    wang: User  # handler, 铁西区
    sun: User  # handler, 铁东区 (Wang's sibling district)
    chen: User  # handler, a street under 铁西区
    tiexi_admin: User  # administrator of 铁西区


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and cached sessions live in the cache; each test starts without them."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s a password; tests create many people and prove nothing with it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_person(username: str, name: str, org: Organization, role: str) -> User:
    return orgs.person_create(
        actor=None, username=username, display_name=name, password=PASSWORD, memberships=[(org, role, "")]
    )


def ensure_default_ladder() -> None:
    """The escalation ladder is seeded by a data migration; a transactional test (browser, worker) empties
    every table when it ends, so later tests on the same database would find no ladder."""
    from luoshi.supervision.models import EscalationRule

    if EscalationRule.objects.exists():
        return
    seeded = importlib.import_module("luoshi.supervision.migrations.0002_default_ladder")
    seeded.seed(django_apps, None)


@pytest.fixture
def city(db: None) -> City:
    ensure_default_ladder()
    K = OrganizationKind
    gov = orgs.organization_create(
        actor=None,
        parent=None,
        name="鞍山市人民政府",
        kind=K.GOVERNMENT,
        short_name="市政府",
        region_code="210300",
    )
    office = orgs.organization_create(
        actor=None, parent=gov, name="市政府督查室", kind=K.DEPARTMENT, short_name="督查室"
    )
    bureau = orgs.organization_create(
        actor=None, parent=gov, name="市生态环境局", kind=K.DEPARTMENT, short_name="生态环境局"
    )
    tiexi = orgs.organization_create(
        actor=None,
        parent=gov,
        name="铁西区人民政府",
        kind=K.DISTRICT,
        short_name="铁西区",
        region_code="210303",
    )
    tiexi_street = orgs.organization_create(actor=None, parent=tiexi, name="铁西区兴盛街道", kind=K.TOWNSHIP)
    tiedong = orgs.organization_create(
        actor=None,
        parent=gov,
        name="铁东区人民政府",
        kind=K.DISTRICT,
        short_name="铁东区",
        region_code="210302",
    )
    tiedong_street = orgs.organization_create(
        actor=None, parent=tiedong, name="铁东区站前街道", kind=K.TOWNSHIP
    )
    return City(
        government=gov,
        supervision_office=office,
        ecology_bureau=bureau,
        tiexi=tiexi,
        tiexi_street=tiexi_street,
        tiedong=tiedong,
        tiedong_street=tiedong_street,
        admin=make_person("admin", "系统管理员", gov, Role.ADMIN),
        zhao=make_person("zhaomin", "赵敏", office, Role.SUPERVISOR),
        li=make_person("liqiang", "李强", bureau, Role.HEAD),
        wang=make_person("wangfang", "王芳", tiexi, Role.HANDLER),
        sun=make_person("sunli", "孙丽", tiedong, Role.HANDLER),
        chen=make_person("chengang", "陈刚", tiexi_street, Role.HANDLER),
        tiexi_admin=make_person("tiexiadmin", "铁西区管理员", tiexi, Role.ADMIN),
    )


@pytest.fixture
def english():
    """For modules that assert messages in their English source form (the default language is zh-Hans)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def holder_of(duty: str, username: str, name: str, city: City) -> User:
    """A handler in the supervision office holding one of the three administrator duties."""
    from luoshi.duties import services

    person = make_person(username, name, city.supervision_office, Role.HANDLER)
    services.duty_grant(actor=None, person=person, duty=duty)
    return User.objects.get(pk=person.pk)


@pytest.fixture
def auditor(city: City) -> User:
    """The audit administrator."""
    return holder_of("audit", "shenji", "审计管理员", city)


@pytest.fixture
def security_officer(city: City) -> User:
    """The security administrator."""
    return holder_of("security", "anquan", "安全管理员", city)
