"""The demo's supervision (issue 4): a few urgings issued by hand by the supervision office over the last
days, at different levels, some answered and one closed; a task whose urging went unanswered past its
date turns red. The daily sweep (run by the demo's scheduler when it starts serving, or by ``luoshi
sweep``) then climbs the escalation ladder for the overdue work.

Everything goes through the services, as people would do it, on the days they would have done it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from luoshi.core import workdays
from luoshi.demo.city import DemoCity
from luoshi.organizations.models import Membership, Role, User
from luoshi.supervision import services
from luoshi.supervision.models import UrgingLevel
from luoshi.supervision.sweep import URGED_STATUSES
from luoshi.tasks.models import Task

# (level, issued this many working days ago, answer within this many working days, answered after this
# many working days (None: not answered), closed by the supervisor after answering, reason)
HAND_URGINGS: tuple[tuple[str, int, int | None, int | None, bool, str], ...] = (
    (UrgingLevel.ORDER_BLUE, 8, 3, None, False, "进展明显滞后于序时进度，请说明原因并提出赶进度措施。"),
    (UrgingLevel.NOTICE, 6, 3, 2, False, "本期进展未按时报送，请尽快补报并说明原因。"),
    (UrgingLevel.ORDER_RED, 10, 2, 1, True, "已超期且群众反映强烈，请分管领导牵头督办，限期整改到位。"),
    (UrgingLevel.TALK, 4, 5, None, False, "多次催办仍无实质进展，拟对主要负责同志进行约谈，请做好准备。"),
    (UrgingLevel.NOTICE, 1, 3, None, False, "临近完成时限，请加快推进并及时报送进展。"),
    (UrgingLevel.REMINDER, 2, None, None, False, "请关注完成时限，按期办结。"),
)


@dataclass
class DemoSupervision:
    urgings: int


def _answerer(task: Task) -> User | None:
    if task.handler_id:
        return task.handler
    membership = (
        Membership.objects.filter(organization_id=task.lead_org_id, role__in=[Role.HANDLER, Role.HEAD])
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    return membership.user if membership else None


def build_supervision(city: DemoCity, *, today: date) -> DemoSupervision:
    supervisor = city.people["zhaomin"]
    # Work still with its lead unit, the nearest deadlines first (every third task), so the urgings fall
    # on the most pressing tasks.
    candidates = list(
        Task.objects.filter(status__in=URGED_STATUSES, handler__isnull=False)
        .select_related("lead_org", "assigning_org", "handler")
        .order_by("due_on", "pk")[: len(HAND_URGINGS) * 3 : 3]
    )
    made = 0
    for task, (level, ago, respond_in, answered_after, closed, reason) in zip(
        candidates, HAND_URGINGS, strict=False
    ):
        issued_on = workdays.add_working_days(today, -ago)
        urging = services.urging_issue(
            actor=supervisor,
            task=task,
            level=level,
            reason=reason,
            respond_by=workdays.add_working_days(issued_on, respond_in) if respond_in else None,
            today=issued_on,
        )
        made += 1
        answerer = _answerer(task)
        if answered_after is not None and answerer is not None:
            answered_on = workdays.add_working_days(issued_on, answered_after)
            urging = services.urging_respond(
                actor=answerer,
                urging=urging,
                response="已召开专题会议研究部署，明确专人负责，本月底前完成阶段目标并报送佐证材料。",
                version=urging.version,
                today=answered_on,
            )
            if closed:
                services.urging_close(
                    actor=supervisor,
                    urging=urging,
                    note="答复属实，已现场核查。",
                    version=urging.version,
                    today=today,
                )
    # An urging unanswered past its date turns its task red at once; the rest of the day's sweep (the
    # ladder, announcements) is the scheduler's when the demo starts serving.
    services.sync_overdue_urgings([t.pk for t in candidates], today=today)
    return DemoSupervision(urgings=made)
