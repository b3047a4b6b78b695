"""Phone and ID numbers of people: validated, encrypted, never in the audit trail in clear."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import ValidationFailed
from luoshi.organizations import services as orgs
from luoshi.organizations.models import id_number_check_character, validate_id_number
from luoshi.web.forms import PersonForm

ID_NUMBER = "11010519491231002X"
OTHER_ID_NUMBER = "44030119900307123" + id_number_check_character("44030119900307123")


@pytest.mark.parametrize("number", [ID_NUMBER, OTHER_ID_NUMBER])
def test_valid_id_numbers(number):
    validate_id_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character
        "11010519491231002",  # 17 characters
        "11010519491331002X",  # month 13
        "01010519491231002X",  # region starting with 0
        "1101051949123100AX",
    ],
)
def test_invalid_id_numbers(number):
    with pytest.raises(ValidationError):
        validate_id_number(number)


def form_data(person, **extra):
    base = {"display_name": str(person), "email": "", "phone": "", "language": "", "version": person.version}
    return base | extra


def test_person_form_keeps_clears_and_normalises_the_id_number(city):
    wang = city.wang
    form = PersonForm(form_data(wang, id_number=ID_NUMBER.lower()))
    assert form.is_valid(), form.errors
    assert form.service_kwargs()["id_number"] == ID_NUMBER

    form = PersonForm(form_data(wang))
    assert form.is_valid()
    assert "id_number" not in form.service_kwargs()  # empty box: the saved number stays

    form = PersonForm(form_data(wang, clear_id_number="on"))
    assert form.is_valid()
    assert form.service_kwargs()["id_number"] == ""

    form = PersonForm(form_data(wang, id_number="110105194912310021"))
    assert not form.is_valid()
    assert "id_number" in form.errors


def test_changes_are_audited_without_the_numbers(city):
    wang = city.wang
    updated = orgs.person_update(
        actor=city.admin, person=wang, version=wang.version, phone="13812345678", id_number=ID_NUMBER
    )
    assert (updated.phone, updated.id_number) == ("13812345678", ID_NUMBER)
    event = AuditEvent.objects.filter(action="person.update", object_id=str(wang.pk)).latest("seq")
    text = json.dumps(event.changes, ensure_ascii=False)
    assert "13812345678" not in text
    assert ID_NUMBER not in text
    assert event.changes["phone"][1].startswith("[redacted:")
    assert event.changes["id_number"][0] == ""

    # Only the phone changes: the ID number's fingerprint is the same, so it is not in the diff.
    orgs.person_update(actor=city.admin, person=updated, version=updated.version, phone="13900000000")
    event = AuditEvent.objects.filter(action="person.update", object_id=str(wang.pk)).latest("seq")
    assert set(event.changes) == {"phone"}


def test_service_refuses_a_bad_id_number(city):
    with pytest.raises(ValidationFailed) as caught:
        orgs.person_update(actor=city.admin, person=city.wang, version=city.wang.version, id_number="123")
    assert "id_number" in caught.value.fields
    city.wang.refresh_from_db()
    assert city.wang.id_number == ""
