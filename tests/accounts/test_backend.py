"""The person a session names, as ``AccountBackend.get_user`` reads them: the ORM's own row."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from luoshi.accounts.backends import AccountBackend
from luoshi.organizations.models import User

pytestmark = pytest.mark.django_db


def test_the_person_is_the_row_the_orm_reads() -> None:
    person = User.objects.create_user(username="backend.person", password="x-long-password-2026")
    found = AccountBackend().get_user(person.pk)
    assert found is not None
    assert model_to_dict(found) == model_to_dict(User.objects.get(pk=person.pk))
    assert found.last_login == person.last_login
    assert found.date_joined == person.date_joined
    assert found._state.adding is False
    assert found._state.db == "default"


def test_nobody_for_an_unknown_or_inactive_person() -> None:
    person = User.objects.create_user(
        username="backend.gone", password="x-long-password-2026", is_active=False
    )
    assert AccountBackend().get_user(person.pk) is None
    assert AccountBackend().get_user(person.pk + 1000) is None


def test_a_signed_in_person_stays_signed_in(client) -> None:
    person = User.objects.create_user(username="backend.session", password="x-long-password-2026")
    client.force_login(person)
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert response.wsgi_request.user == person
