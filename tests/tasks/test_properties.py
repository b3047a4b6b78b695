"""Properties over random histories: the workflow never leaves its table, every success is audited once,
and the stored roll-up always equals a recomputation from the leaves."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from datetime import date, timedelta
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import LuoshiError
from luoshi.tasks import lights, reporting, rollup, services, workflow
from luoshi.tasks.models import OPEN_STATUSES, Light, Task, TaskAction, TaskStatus
from luoshi.tasks.workflow import TRANSITIONS
from tests.tasks.conftest import TODAY, fresh
from tests.tasks.test_workflow import call

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    # The city is built once per test; each example runs in a savepoint that is rolled back.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def check_invariants(task: Task) -> None:
    assert task.status in TaskStatus.values
    assert (task.status == TaskStatus.CLOSED) == (task.closed_on is not None)
    if task.status == TaskStatus.CLOSED:
        assert task.light == Light.CLOSED
        assert task.closed_late == (task.accepted_on > task.original_due_on)
    if task.status == TaskStatus.CANCELLED:
        assert task.light == Light.NONE
    assert task.original_due_on <= task.due_on


ACTIONS = [a.value for a in TaskAction]
PERSONAS = ["zhao", "wang", "sun", "chen", "tiexi_head"]


@EXAMPLES
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.sampled_from(PERSONAS), st.integers(0, 3)),
        min_size=1,
        max_size=12,
    )
)
def test_random_transitions_stay_in_the_table_and_are_audited_once(desk, clock, steps):
    clock.set(TODAY)
    with rolled_back():
        task = desk.city_task()
        for action, persona, days in steps:
            clock.set(clock.today + timedelta(days=days))
            actor = getattr(desk, persona, None) or getattr(desk.city, persona)
            before = fresh(task)
            events = AuditEvent.objects.count()
            try:
                call(action, actor, task, desk)
            except LuoshiError:
                after = fresh(task)
                assert (after.status, after.version, after.lead_org_id) == (
                    before.status,
                    before.version,
                    before.lead_org_id,
                )
                assert AuditEvent.objects.count() == events
                continue
            after = fresh(task)
            transition = TRANSITIONS[(TaskStatus(before.status), TaskAction(action))]
            assert after.status in {transition.target, transition.notice_target}
            assert after.version == before.version + 1
            assert AuditEvent.objects.count() == events + 1
            assert AuditEvent.objects.latest("seq").action == f"task.{action}"
            check_invariants(after)
        assert list(rollup.check()) == []


# --- random trees ---------------------------------------------------------------------------------

OPS = st.one_of(
    st.tuples(st.just("decompose"), st.integers(0, 30), st.integers(1, 5)),
    st.tuples(st.just("report"), st.integers(0, 30), st.integers(0, 100)),
    st.tuples(st.just("close"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("cancel"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("reopen"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("weight"), st.integers(0, 30), st.integers(1, 9)),
    # Time passing makes lights change without any write: twice as likely as the other steps.
    st.tuples(st.just("wait"), st.just(0), st.integers(1, 40)),
    st.tuples(st.just("wait"), st.just(0), st.integers(1, 40)),
)


def expected_from_scratch() -> dict[int, tuple[int, str]]:
    """An independent, naive recomputation: recursion over children, straight from the model rules."""
    by_parent: dict[int | None, list[Task]] = {}
    tasks = list(Task.objects.all())
    for t in tasks:
        by_parent.setdefault(t.parent_id, []).append(t)
    result: dict[int, tuple[int, str]] = {}

    def visit(t: Task) -> tuple[int, str]:
        kids = [(*visit(c), c) for c in by_parent.get(t.pk, [])]
        active = [(p, light, c) for p, light, c in kids if c.status != TaskStatus.CANCELLED]
        if t.status == TaskStatus.CLOSED:
            progress = 100
        elif t.status == TaskStatus.CANCELLED or not active:
            progress = t.reported_progress
        else:
            mean = Fraction(sum(c.weight * p for p, _, c in active), sum(c.weight for _, _, c in active))
            progress = math.floor(mean + Fraction(1, 2))  # half up
        if t.status in (TaskStatus.CLOSED, TaskStatus.CANCELLED) or t.light_overridden or not active:
            light = t.own_light
        else:
            light = min([t.own_light, *(light for _, light, _ in active)], key=lights.rank)
        result[t.pk] = (progress, light)
        return progress, light

    for root in by_parent.get(None, []):
        visit(root)
    return result


@EXAMPLES
@given(ops=st.lists(OPS, min_size=5, max_size=25))
def test_random_progress_across_a_random_tree_keeps_the_rollup_true(desk, clock, ops):
    city = desk.city
    chen, head = city.chen, desk.street_head
    working = [TaskStatus.IN_PROGRESS, TaskStatus.RETURNED]

    def candidates(op: str) -> list[Task]:
        street_led = Task.objects.filter(lead_org=city.tiexi_street)
        kept = street_led.filter(assigning_org=city.tiexi_street)
        qs = {
            "decompose": street_led.filter(status__in=working),
            "report": Task.objects.leaves().filter(status__in=working),
            "close": street_led.filter(status__in=working),
            "cancel": kept.filter(status__in=OPEN_STATUSES),
            "reopen": kept.filter(status__in=[TaskStatus.CLOSED, TaskStatus.CANCELLED]),
            "weight": kept.filter(status__in=OPEN_STATUSES),
        }[op]
        return list(qs.order_by("pk"))

    clock.set(TODAY)
    with rolled_back():
        root = desk.acknowledged_city_task(due=date(2024, 5, 31))
        desk.street_task(root)
        for op, index, value in ops:
            if op == "wait":
                # Days pass and the daily sweep recomputes the date-dependent lights.
                clock.set(clock.today + timedelta(days=value))
                rollup.repair(today=clock.today)
                continue
            choices = candidates(op)
            if not choices:
                continue
            target = choices[index % len(choices)]
            # Some steps are refused by the rules (a parent with open subtasks cannot close, a subtask
            # under a cancelled parent cannot reopen): refusals change nothing, which the check confirms.
            with contextlib.suppress(LuoshiError):
                if op == "decompose":
                    sub = services.task_decompose(
                        actor=chen,
                        parent=target,
                        version=target.version,
                        lead_org=city.tiexi_street,
                        title="子任务",
                        # Earlier than the parent by a few days, so that lights differ along the tree.
                        due_on=max(clock.today, target.due_on - timedelta(days=4 * value)),
                        weight=value,
                    )
                    workflow.task_start(actor=chen, task=sub, version=sub.version)
                elif op == "report":
                    actor = chen if target.lead_org == city.tiexi_street else city.wang
                    reporting.report_progress(
                        actor=actor, task=target, version=target.version, progress=value, narrative="进展"
                    )
                elif op == "close":
                    workflow.task_request_completion(actor=chen, task=target, version=target.version)
                    target = fresh(target)
                    decider = desk.tiexi_head if target.assigning_org == city.tiexi else head
                    workflow.task_accept(actor=decider, task=target, version=target.version)
                elif op == "cancel":
                    workflow.task_cancel(actor=head, task=target, version=target.version, reason="调整")
                elif op == "reopen":
                    workflow.task_reopen(actor=head, task=target, version=target.version, reason="反弹")
                elif op == "weight":
                    services.task_update(actor=head, task=target, version=target.version, weight=value)
            differences = list(rollup.check())
            assert differences == [], differences
        stored = {t.pk: (t.progress, t.light) for t in Task.objects.all()}
        assert stored == expected_from_scratch()
        # The set-based repair agrees with the incremental updates, and so does the sweep as of the date.
        rollup.repair()
        assert {t.pk: (t.progress, t.light) for t in Task.objects.all()} == stored
        rollup.repair(today=clock.today)
        assert list(rollup.check(today=clock.today)) == []


@pytest.mark.parametrize("seed_progress", [0, 37, 100])
def test_repair_restores_a_scrambled_tree(desk, seed_progress):
    root = desk.acknowledged_city_task()
    street = desk.street_task(root)
    reporting.report_progress(
        actor=desk.city.chen, task=street, version=street.version, progress=seed_progress, narrative="x"
    )
    good = sorted(Task.objects.values_list("pk", "progress", "light"))
    Task.objects.update(progress=55, light=Light.YELLOW, own_light=Light.RED)
    rollup.repair(today=date(2024, 3, 1))
    assert sorted(Task.objects.values_list("pk", "progress", "light")) == good
