"""The three duty holders on top of the small city: a system, a security and an audit administrator."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import translation

from luoshi.duties import services
from luoshi.duties.models import Duty
from luoshi.organizations.models import Role, User
from tests.conftest import City, make_person


@dataclass
class Duties:
    city: City
    system: User  # the city's admin, holding the system administrator's duty
    security: User
    audit: User


def fresh(user: User) -> User:
    """The same person as the next request sees them (nothing computed cached on the object)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def duties(city: City) -> Duties:
    services.duty_grant(actor=None, person=city.admin, duty=Duty.SYSTEM)
    security = make_person("anquan", "安全管理员", city.supervision_office, Role.HANDLER)
    services.duty_grant(actor=None, person=security, duty=Duty.SECURITY)
    audit = make_person("shenji", "审计管理员", city.supervision_office, Role.HANDLER)
    services.duty_grant(actor=None, person=audit, duty=Duty.AUDIT)
    return Duties(city=city, system=fresh(city.admin), security=fresh(security), audit=fresh(audit))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def login(client):
    """Sign a person in on the test client (second-factor steps are the auth tests' business)."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
