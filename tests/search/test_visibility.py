"""Search shows exactly what the access policy lets each person see: tasks and reports by the task rule,
clauses and directives by the directive rule, also after a transfer and after a unit moves."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from luoshi import access
from luoshi.directives import services as directives
from luoshi.directives.models import Clause, Directive
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Membership, Role, User
from luoshi.search import selectors
from luoshi.search import services as search
from luoshi.search.models import EntryKind
from luoshi.tasks import services, workflow
from luoshi.tasks.models import ProgressReport, Task
from tests.conftest import City
from tests.search.conftest import Work

PERSONAS = ["zhao", "li", "wang", "sun", "chen", "tiexi_admin"]
WORD = "推进"


@dataclass
class Scene:
    tiexi_task: Task
    tiedong_task: Task
    street_task: Task
    shared_task: Task  # led by 铁西区, 铁东区 cooperating
    bureau_task: Task
    tiexi_report: ProgressReport
    tiedong_report: ProgressReport
    tiexi_directive: Directive
    city_directive: Directive


@pytest.fixture
def scene(city: City, work: Work) -> Scene:
    tiexi_task = work.started(work.task("推进老旧小区改造（铁西）"), city.wang)
    tiedong_task = work.started(work.task("推进老旧小区改造（铁东）", lead=city.tiedong), city.sun)
    street_task = work.task("推进兴盛街道改造", lead=city.tiexi_street)
    shared_task = work.task("推进河长制", cooperating=(city.tiedong,))
    bureau_task = work.task("推进能耗双控", lead=city.ecology_bureau)
    tiexi_directive = work.directive(
        "铁西区推进城市更新工作方案", by=city.wang, org=city.tiexi, clauses=("推进城市更新。", "完成改造。")
    )
    city_directive = work.directive(
        "市政府推进绿色发展纪要", by=city.zhao, org=city.government, clauses=("推进绿色发展。",)
    )
    # A task of the district's own directive, kept within 铁西区.
    work.task(
        "推进城市更新（兴盛街道）",
        lead=city.tiexi_street,
        clause=Clause.objects.filter(directive=tiexi_directive).first(),
        actor=city.wang,
        assigning=city.tiexi,
    )
    return Scene(
        tiexi_task=tiexi_task,
        tiedong_task=tiedong_task,
        street_task=street_task,
        shared_task=shared_task,
        bureau_task=bureau_task,
        tiexi_report=work.report(tiexi_task, city.wang, "推进顺利，完成三个小区。"),
        tiedong_report=work.report(tiedong_task, city.sun, "推进顺利，完成两个小区。"),
        tiexi_directive=tiexi_directive,
        city_directive=city_directive,
    )


def found(user, query: str = WORD) -> set[tuple[str, int]]:
    return {(hit.kind, hit.object_id) for hit in selectors.search(user, query, limit=500).hits}


def allowed(user, query: str = WORD) -> set[tuple[str, int]]:
    """What the access policy lets ``user`` see that contains ``query``, read from the records."""
    tasks = access.visible(user, Task.objects.all())
    directives = access.visible(user, Directive.objects.all())
    result = {
        (EntryKind.TASK.value, pk) for pk in tasks.filter(title__contains=query).values_list("pk", flat=True)
    }
    result |= {
        (EntryKind.REPORT.value, pk)
        for pk in ProgressReport.objects.filter(task__in=tasks, narrative__contains=query).values_list(
            "pk", flat=True
        )
    }
    result |= {
        (EntryKind.CLAUSE.value, pk)
        for pk in Clause.objects.filter(directive__in=directives, text__contains=query).values_list(
            "pk", flat=True
        )
    }
    result |= {
        (EntryKind.DIRECTIVE.value, pk)
        for pk in directives.filter(title__contains=query).values_list("pk", flat=True)
    }
    return result


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_person_finds_exactly_what_the_policy_lets_them_see(city, scene, persona):
    user = getattr(city, persona)
    assert found(user) == allowed(user)
    assert found(user), "every persona sees something in this scene"


def test_sun_never_finds_the_work_of_tiexi(city, scene):
    hits = found(city.sun)
    assert (EntryKind.TASK, scene.tiexi_task.pk) not in hits
    assert (EntryKind.TASK, scene.street_task.pk) not in hits
    assert (EntryKind.REPORT, scene.tiexi_report.pk) not in hits
    # 铁东区 cooperates on this one, so Sun sees it; and the city's directive is not his either.
    assert (EntryKind.TASK, scene.shared_task.pk) in hits
    assert (EntryKind.DIRECTIVE, scene.city_directive.pk) not in hits
    assert not found(city.sun, "兴盛街道")


def test_a_directive_is_found_through_a_task_that_cooperation_opened(city, scene, work):
    assert (EntryKind.DIRECTIVE, scene.tiexi_directive.pk) not in found(city.sun)
    clause = Clause.objects.filter(directive=scene.tiexi_directive).first()
    work.task(
        "推进城市更新（协同）",
        clause=clause,
        actor=city.wang,
        assigning=city.tiexi,
        cooperating=(city.tiedong,),
    )
    hits = found(city.sun)
    assert (EntryKind.DIRECTIVE, scene.tiexi_directive.pk) in hits
    assert (EntryKind.CLAUSE, clause.pk) in hits
    assert hits == allowed(city.sun)


def test_a_transfer_moves_the_task_and_its_reports_to_the_new_unit(city, scene):
    task = Task.objects.get(pk=scene.tiexi_task.pk)
    workflow.task_transfer(
        actor=city.zhao, task=task, version=task.version, to_org=city.tiedong, reason="职责调整"
    )
    search.index_task(task)
    assert (EntryKind.REPORT, scene.tiexi_report.pk) in found(city.sun)
    assert (EntryKind.TASK, scene.tiexi_task.pk) not in found(city.wang)
    for persona in PERSONAS:
        user = getattr(city, persona)
        assert found(user) == allowed(user), persona


def test_after_a_unit_moves_search_follows_the_tree(city, scene):
    street = orgs.organization_move(actor=city.admin, org=city.tiexi_street, new_parent=city.tiedong)
    # organization_move calls this itself once the hook is in; a second call changes nothing.
    search.on_organization_moved(old_prefix=city.tiexi_street.path, new_prefix=street.path)
    for persona in PERSONAS:
        # Scopes are cached on the user object: read the people again, as a new request would.
        user = User.objects.get(pk=getattr(city, persona).pk)
        assert found(user) == allowed(user), persona
    assert (EntryKind.TASK, scene.street_task.pk) in found(User.objects.get(pk=city.sun.pk))


def test_nobody_signed_out_or_inactive_finds_anything(city, scene):
    from django.contrib.auth.models import AnonymousUser

    assert selectors.search(AnonymousUser(), WORD).hits == []
    city.sun.is_active = False
    assert selectors.search(city.sun, WORD).hits == []


def test_every_clause_of_a_directive_reaches_a_unit_that_cooperates_again(city, work):
    """A unit that stopped cooperating stays named on the older entries (harmless: the rules decide);
    a clause added meanwhile does not name it, and must get it when the unit cooperates again."""
    directive = work.directive("推进城市更新方案", by=city.wang, org=city.tiexi, clauses=("推进城市更新。",))
    first = Clause.objects.get(directive=directive)
    task = work.task(
        "推进更新", clause=first, actor=city.wang, assigning=city.tiexi, cooperating=(city.tiedong,)
    )
    task = services.task_update(actor=city.wang, task=task, version=task.version, cooperating_orgs=[])
    search.index_task(task)
    later = directives.clause_add(actor=city.wang, directive=directive, text="推进片区改造。")
    search.index_clause(later)
    assert (EntryKind.CLAUSE, later.pk) not in found(city.sun)
    work.task("推进改造", clause=first, actor=city.wang, assigning=city.tiexi, cooperating=(city.tiedong,))
    sun = User.objects.get(pk=city.sun.pk)
    assert {(EntryKind.CLAUSE, first.pk), (EntryKind.CLAUSE, later.pk)} <= found(sun)
    assert found(sun) == allowed(sun)


def test_a_second_top_level_unit_brings_the_rules_back_for_the_first_ones_overseers(city, scene, work):
    """Seeing every top-level unit makes the rules redundant for Zhao; a new top-level unit he does not
    work in ends that, and its tasks are then his to find only through cooperation."""
    assert found(city.zhao) == allowed(city.zhao)
    other = orgs.organization_create(actor=city.admin, parent=None, name="营口市人民政府", kind="government")
    head = User.objects.create_user(username="yingkou_head", password="-")
    Membership.objects.create(user=head, organization=other, role=Role.HEAD)
    outside = work.task("推进港口建设", lead=other, assigning=other, actor=head)
    shared = work.task("推进港口联运", lead=other, assigning=other, actor=head, cooperating=(city.tiexi,))
    hits = found(city.zhao)
    assert hits == allowed(city.zhao)
    assert (EntryKind.TASK, shared.pk) in hits
    assert (EntryKind.TASK, outside.pk) not in hits
