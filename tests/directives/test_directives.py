"""Directives, clauses and focus areas through their services and selectors."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.directives import services
from luoshi.directives.models import Directive, DirectiveKind, DirectiveLevel
from luoshi.directives.selectors import clause_summaries, undecomposed_clauses
from luoshi.tasks import services as tasks
from luoshi.tasks import workflow
from luoshi.tasks.models import Light


def register(city, **kwargs) -> Directive:
    return services.directive_create(
        actor=kwargs.pop("actor", city.zhao),
        issuing_org=kwargs.pop("issuing_org", city.government),
        title=kwargs.pop("title", "政府工作报告"),
        level=DirectiveLevel.MUNICIPAL,
        kind=DirectiveKind.SPEECH,
        issued_on=date(2024, 1, 20),
        **kwargs,
    )


def test_register_normalizes_and_refuses_duplicate_numbers(city):
    directive = register(city, doc_number="鞍政发(2024)1号")
    assert directive.doc_number == "鞍政发〔2024〕1号"
    with pytest.raises(ValidationFailed) as exc:
        register(city, doc_number="鞍政发【2024】1号", title="重复")
    assert "already registered" in exc.value.fields["doc_number"][0]
    with pytest.raises(ValidationFailed) as exc:
        register(city, doc_number="鞍政发2024-1")
    assert "doc_number" in exc.value.fields
    assert Directive.objects.count() == 1


def test_only_the_issuing_units_people_register_and_edit(city):
    with pytest.raises(NotAllowed):
        register(city, actor=city.wang)
    directive = register(city)
    with pytest.raises(NotFound):
        services.directive_update(actor=city.sun, directive=directive, version=directive.version, title="改")
    with pytest.raises(NotAllowed):
        services.clause_add(actor=city.admin, directive=directive, text="要求")
    own = register(city, actor=city.wang, issuing_org=city.tiexi, title="区政府会议")
    assert own.issuing_org == city.tiexi


def test_update_checks_the_version_and_audits(city):
    directive = register(city)
    updated = services.directive_update(
        actor=city.zhao, directive=directive, version=directive.version, doc_number="鞍政发[2024]2号"
    )
    assert (updated.doc_number, updated.version) == ("鞍政发〔2024〕2号", 2)
    with pytest.raises(Conflict):
        services.directive_update(actor=city.zhao, directive=directive, version=1, title="旧版本")
    event = AuditEvent.objects.filter(action="directive.update").get()
    assert event.changes == {"doc_number": ["", "鞍政发〔2024〕2号"]}


def test_clauses_are_numbered_in_order_and_show_their_tasks(city, settings):
    settings.LUOSHI_TODAY = "2024-03-01"
    area = services.focus_area_create(
        actor=city.zhao, name="绿色发展", code="green", sort_order=3, keywords="节能\n降碳\n"
    )
    assert area.keyword_list() == ["节能", "降碳"]
    directive = register(city)
    first = services.clause_add(actor=city.zhao, directive=directive, text="推进节能降碳", focus_area=area)
    second = services.clause_add(actor=city.zhao, directive=directive, text="改善营商环境")
    assert (first.ordinal, second.ordinal) == (1, 2)
    assert [c.pk for c in undecomposed_clauses(user=city.zhao)] == [first.pk, second.pk]

    task = tasks.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="节能改造",
        due_on=date(2024, 3, 5),
        clause=first,
    )
    assert task.focus_area == area  # taken from the clause
    workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    summaries = clause_summaries(user=city.zhao, directive=directive)
    assert [(s.task_count, s.not_decomposed, s.worst_light) for s in summaries] == [
        (1, False, Light.BLUE),
        (0, True, None),
    ]
    # The sibling district sees the clause is decomposed, but not the task itself.
    tiedong_view = clause_summaries(user=city.sun, directive=directive)
    assert (tiedong_view[0].task_count, tiedong_view[0].tasks) == (1, [])
    assert [c.pk for c in undecomposed_clauses(user=city.zhao)] == [second.pk]


def test_focus_areas_are_managed_city_wide(city):
    with pytest.raises(NotAllowed):
        services.focus_area_create(actor=city.li, name="创新", code="innovation")
    area = services.focus_area_create(actor=city.admin, name="创新", code="innovation")
    with pytest.raises(ValidationFailed):
        services.focus_area_create(actor=city.admin, name="创新", code="innovation-2")
    area = services.focus_area_update(actor=city.zhao, area=area, version=area.version, sort_order=1)
    assert area.version == 2
