"""Who sees which tasks and directives: scopes, cooperating units, assigning units; one query each."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi import access
from luoshi.access import policy
from luoshi.core.errors import NotAllowed, NotFound, ValidationFailed
from luoshi.directives.models import Clause, Directive
from luoshi.tasks import reporting, selectors
from luoshi.tasks.models import ProgressReport, Task
from tests.tasks.conftest import fresh


def visible_titles(user) -> set[str]:
    return set(access.visible(user, Task.objects.all()).values_list("title", flat=True))


@pytest.fixture
def tasks(desk):
    root = desk.acknowledged_city_task(title="铁西区任务")
    street = desk.street_task(root, title="街道任务")
    tiedong = desk.city_task(lead=desk.city.tiedong, title="铁东区任务")
    return root, street, tiedong


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("zhao", {"铁西区任务", "街道任务", "铁东区任务"}),  # the supervisor sees the whole city
        ("admin", {"铁西区任务", "街道任务", "铁东区任务"}),  # the city's own people see what it assigned
        ("wang", {"铁西区任务", "街道任务"}),  # her district's task and what is below it
        ("chen", {"街道任务"}),  # not the district's task above
        ("sun", {"铁东区任务"}),  # never the sibling district's work
        ("li", set()),
    ],
)
def test_who_sees_which_tasks(desk, tasks, persona, expected, django_assert_num_queries):
    user = getattr(desk.city, persona)
    access.scopes_of(user)  # computed once per request, like the middleware does
    with django_assert_num_queries(1):
        assert visible_titles(user) == expected


def test_a_cooperating_unit_sees_the_task_and_may_report_without_a_percentage(desk):
    city = desk.city
    task = desk.acknowledged_city_task(title="联合整治", cooperating_orgs=[city.tiedong])
    assert "联合整治" in visible_titles(city.sun)
    with pytest.raises(ValidationFailed) as exc:
        reporting.report_progress(
            actor=city.sun, task=task, version=task.version, progress=50, narrative="配合"
        )
    assert "progress" in exc.value.fields
    report = reporting.report_progress(
        actor=city.sun, task=task, version=task.version, narrative="配合完成巡查"
    )
    assert report.reporting_org == city.tiedong
    assert fresh(task).progress == 0
    assert fresh(task).last_reported_on is None  # the lead unit's cadence is not met by a cooperating report
    # Cooperating units may report, nothing more.
    from luoshi.tasks import workflow

    with pytest.raises(NotAllowed):
        workflow.task_request_completion(actor=city.sun, task=task, version=task.version)
    assert list(selectors.reports_of(user=city.wang, task=task)) == [report]


def test_units_above_a_cooperating_unit_see_it_too(desk):
    city = desk.city
    desk.acknowledged_city_task(title="联合整治", cooperating_orgs=[city.tiedong_street])
    assert "联合整治" in visible_titles(city.sun)


def test_directives_are_visible_through_their_tasks(desk, tasks, django_assert_num_queries):
    city = desk.city
    for user in (city.sun, city.chen, city.li):
        access.scopes_of(user)
    with django_assert_num_queries(1):
        assert list(access.visible(city.sun, Directive.objects.all())) == [desk.directive]
    assert list(access.visible(city.chen, Clause.objects.all())) == [desk.clause]
    assert list(access.visible(city.li, Directive.objects.all())) == []
    assert list(access.visible(city.admin, Directive.objects.all())) == [desk.directive]


def test_an_invisible_task_is_not_found_for_every_action(desk, tasks):
    root, _street, _tiedong = tasks
    before = ProgressReport.objects.count()
    with pytest.raises(NotFound):
        reporting.report_progress(
            actor=desk.city.sun, task=root, version=root.version, progress=1, narrative="x"
        )
    with pytest.raises(NotFound):
        selectors.get_task(user=desk.city.sun, pk=root.pk)
    assert ProgressReport.objects.count() == before


def test_selectors_for_the_inbox(desk, tasks, clock):
    root, street, tiedong = tasks
    city = desk.city
    assert list(selectors.to_acknowledge(user=city.sun)) == [tiedong]
    assert list(selectors.to_acknowledge(user=city.wang)) == []
    assert list(selectors.tasks_led_under(user=city.zhao, org=city.tiexi)) == [root, street]
    assert [t.pk for t in selectors.subtree(user=city.wang, task=root)] == [root.pk, street.pk]
    clock.set(date(2024, 4, 10))  # monthly reports for March were due on 5 April
    assert list(selectors.reports_missing(user=city.wang)) == [fresh(street)]
    assert selectors.explain_light(fresh(street)).reasons[-1] == "report_late"


@pytest.mark.parametrize("persona", ["zhao", "admin", "wang", "chen", "sun", "li"])
def test_a_locked_row_in_hand_answers_as_the_database_does(
    desk, tasks, persona, django_assert_max_num_queries
):
    """The write path checks visibility on the row it has just locked; the in-hand test must agree with
    the database rule for everyone, and ask nothing when the row's lead unit settles it."""
    city = desk.city
    cooperated = desk.acknowledged_city_task(title="联合整治", cooperating_orgs=[city.tiedong])
    user = getattr(city, persona)
    access.scopes_of(user)
    for task in [*tasks, cooperated]:
        row = Task.objects.get(pk=task.pk)
        expected = access.visible(user, Task.objects.filter(pk=task.pk)).exists()
        led_here = any(row.lead_org_path.startswith(s.path) for s in access.scopes_of(user))
        with django_assert_max_num_queries(0 if led_here else 1):
            assert policy.is_visible(user, row, fresh=True) is expected
