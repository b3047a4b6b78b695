"""Conveyance records: which units a directive reached, who recorded conveying it, bad input."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import NotAllowed, NotFound, ValidationFailed
from luoshi.directives import conveyance
from luoshi.directives.models import ConveyanceRecord


@pytest.fixture
def reached(desk):
    """The city's task for 铁西区 (with the ecology bureau cooperating), split for 铁西区's street."""
    task = desk.acknowledged_city_task(cooperating_orgs=[desk.city.ecology_bureau])
    desk.street_task(task)
    return desk.directive


def record(actor, directive, org, **changes):
    values = {"method": "meeting", "held_on": date(2024, 2, 28), "attendee_count": 12}
    values.update(changes)
    return conveyance.conveyance_record(actor=actor, directive=directive, org=org, **values)


def test_the_units_reached_are_the_tasks_units_below_the_issuer(desk, reached):
    city = desk.city
    assert conveyance.reached_org_ids(reached) == {
        city.tiexi.pk,
        city.tiexi_street.pk,
        city.ecology_bureau.pk,
    }


def test_units_record_and_the_status_shows_who_has_not(desk, reached):
    city = desk.city
    saved = record(city.wang, reached, city.tiexi, attendee_names="王芳、刘洋", notes="区政府常务会传达")
    assert (saved.org, saved.recorded_by, saved.attendee_count) == (city.tiexi, city.wang, 12)
    assert AuditEvent.objects.filter(action="directive.conveyance", object_id=str(reached.pk)).exists()
    rows = conveyance.conveyance_status(user=city.zhao, directive=reached)
    assert [(r.org.pk, r.done) for r in rows] == [  # in tree order
        (city.ecology_bureau.pk, False),
        (city.tiexi.pk, True),
        (city.tiexi_street.pk, False),
    ]
    # The street's handler sees its own line of units, not the bureau's.
    street_rows = conveyance.conveyance_status(user=city.chen, directive=reached)
    assert [r.org.pk for r in street_rows] == [city.tiexi.pk, city.tiexi_street.pk]


def test_bad_input_names_the_fields_and_saves_nothing(desk, reached):
    city = desk.city
    with pytest.raises(ValidationFailed) as refused:
        record(city.wang, reached, city.tiexi, method="dinner", held_on=date(2099, 1, 1), attendee_count=0)
    assert set(refused.value.fields) == {"method", "held_on", "attendee_count"}
    with pytest.raises(ValidationFailed) as refused:
        record(city.wang, reached, city.tiexi, held_on=date(2024, 1, 1))
    assert "held_on" in refused.value.fields  # before the directive was issued
    with pytest.raises(ValidationFailed) as refused:
        record(city.wang, reached, city.tiexi, held_on=None)
    assert "held_on" in refused.value.fields
    assert not ConveyanceRecord.objects.exists()


def test_only_a_units_own_people_record_for_it(desk, reached):
    city = desk.city
    with pytest.raises(NotAllowed):
        record(city.wang, reached, city.ecology_bureau)
    with pytest.raises(NotAllowed):  # a supervisor sees it but does not speak for the unit
        record(city.zhao, reached, city.tiexi)
    with pytest.raises(ValidationFailed) as refused:
        record(city.zhao, reached, city.supervision_office)
    assert "org" in refused.value.fields
    with pytest.raises(NotFound):
        record(city.sun, reached, city.tiedong)
    assert not ConveyanceRecord.objects.exists()
