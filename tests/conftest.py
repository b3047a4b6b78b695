"""Shared fixtures: a small city with named personas (see SCENARIOS.md for who they are)."""

from __future__ import annotations

import base64
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import override_settings

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
    for item in items:
        if item.get_closest_marker("own_database"):
            item.add_marker(once)
        elif not _uses_database(item):
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


def build_city() -> City:
    """The city, made through the services as a supervision office would (with its audit trail)."""
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


DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}
)
# Fixtures and ``django_db`` options that take a test's database work outside a rolled-back transaction on
# the default database (``databases``: other databases too), so it cannot run inside a module's shared one.
COMMITTING_FIXTURES = (DATABASE_FIXTURES - {"db"}) | {"live_server"}
COMMITTING_MARKS = ("transaction", "reset_sequences", "serialized_rollback", "databases")


def _uses_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def _commits(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and any(marker.kwargs.get(key) for key in COMMITTING_MARKS):
        return True
    return bool(COMMITTING_FIXTURES & set(getattr(item, "fixturenames", ())))


@dataclass(frozen=True)
class SharedCity:
    """The keys of a city built once for a module; each test reads its own fresh instances."""

    organizations: dict[str, int]
    people: dict[str, int]

    def read(self) -> City:
        orgs_by_pk = Organization.objects.in_bulk(self.organizations.values())
        people_by_pk = User.objects.in_bulk(self.people.values())
        return City(
            **{field: orgs_by_pk[pk] for field, pk in self.organizations.items()},
            **{field: people_by_pk[pk] for field, pk in self.people.items()},
        )


@contextmanager
def _connection_kept() -> Iterator[None]:
    """A server closes the database connection when a request ends, and a test closing a response it read
    does the same (Django's signal, ``close_old_connections``); here that would end the module's transaction
    and lose its city."""
    database = connections[DEFAULT_DB_ALIAS]
    database.close_if_unusable_or_obsolete = lambda: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        del database.close_if_unusable_or_obsolete


@pytest.fixture(scope="module", autouse=True)
def _shared_city(request: pytest.FixtureRequest, django_db_blocker) -> Iterator[SharedCity | None]:
    """Builds the city once for a module whose tests all run in rolled-back transactions.

    Each test's own transaction is then a savepoint inside the module's, so whatever a test changes is
    undone before the next, as with a city built per test; the module's transaction is rolled back at its
    end. A module where any test commits (a live server, a worker, ``transaction=True``) builds its city
    per test, since a committing test cannot run inside a transaction held open around it.
    """
    items = [item for item in request.session.items if item.module is request.module]
    on_database = [item for item in items if _uses_database(item)]
    if (
        len(on_database) < 2
        or any("city" not in item.fixturenames for item in on_database)
        or any(_commits(item) for item in on_database)
    ):
        yield None
        return
    request.getfixturevalue("django_db_setup")
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, _connection_kept(), transaction.atomic():
        built = build_city()
        members = {f.name: getattr(built, f.name) for f in fields(City)}
        yield SharedCity(
            organizations={name: o.pk for name, o in members.items() if isinstance(o, Organization)},
            people={name: o.pk for name, o in members.items() if isinstance(o, User)},
        )
        transaction.set_rollback(True)


@pytest.fixture
def city(db: None, _shared_city: SharedCity | None) -> City:
    """The city: the module's shared one where it has one (read afresh), else built for this test."""
    if _shared_city is not None:
        return _shared_city.read()
    return build_city()


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
