"""Conveyance records (传达学习, DESIGN §3): each unit a directive reaches records when and how it conveyed
and studied it; the directive's page shows who has and who has not.

A directive reaches the lead and cooperating units of its tasks and the units between them and the issuer
(a district whose street leads a task has conveyed the directive to that street too). Records are read
with the directive: whoever sees the directive sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import trees, workdays
from luoshi.core.errors import NotAllowed
from luoshi.core.validation import invalid
from luoshi.directives.models import ConveyanceMethod, ConveyanceRecord, Directive
from luoshi.organizations.models import Organization, Role, User
from luoshi.tasks.models import Task

RECORDER_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.HANDLER})


def reached_org_ids(directive: Directive) -> set[int]:
    """The units the directive reached: its tasks' lead and cooperating units, and their ancestors below
    the issuing unit. Two queries."""
    tasks = Task.objects.filter(directive=directive).exclude(status="cancelled")
    paths = set(tasks.values_list("lead_org_path", flat=True))
    paths.update(
        Task.cooperating_orgs.through.objects.filter(task__in=tasks).values_list(
            "organization__path", flat=True
        )
    )
    issuer = directive.issuing_org.path
    wanted: set[str] = set()
    for path in paths:
        wanted.add(path)
        if trees.is_within(path, issuer):
            wanted.update(p for p in trees.ancestor_paths(path) if len(p) > len(issuer))
    wanted.discard(issuer)
    if not wanted:
        return set()
    return set(Organization.objects.filter(path__in=wanted).values_list("pk", flat=True))


def may_record_for(user: Any, org: Organization) -> bool:
    """Whether ``user`` speaks for ``org``: its leader, head or a handler."""
    return bool(
        user.is_superuser
        or any(s.organization_id == org.pk and s.role in RECORDER_ROLES for s in access.scopes_of(user))
    )


def units_to_record_for(user: Any, directive: Directive) -> list[Organization]:
    """The reached units in which ``user`` may record conveyance (their own units, as leader, head or
    handler)."""
    if not user.is_authenticated:
        return []
    reached = reached_org_ids(directive)
    own = {s.organization_id for s in access.scopes_of(user) if s.role in RECORDER_ROLES}
    ids = reached if user.is_superuser else reached & own
    return list(Organization.objects.filter(pk__in=ids).order_by("path"))


@transaction.atomic
def conveyance_record(
    *,
    actor: User,
    directive: Directive,
    org: Organization,
    method: str,
    held_on: date | None,
    attendee_count: int | None,
    attendee_names: str = "",
    notes: str = "",
) -> ConveyanceRecord:
    """Record that ``org`` conveyed and studied ``directive`` (at a meeting, a study session …)."""
    access.require(actor, "view", directive)
    locked = (
        Directive.objects.select_for_update(of=("self",)).select_related("issuing_org").get(pk=directive.pk)
    )
    if org.pk not in reached_org_ids(locked):
        raise invalid({"org": [_("This directive has not reached %(unit)s.") % {"unit": org.name}]})
    if not may_record_for(actor, org):
        raise NotAllowed(
            _("Only the leader, head or a handler of %(unit)s may record its conveyance.")
            % {"unit": org.name}
        )
    errors: dict[str, list[str]] = {}
    if method not in ConveyanceMethod.values:
        errors["method"] = [_("Choose how the directive was conveyed.")]
    if held_on is None:
        errors["held_on"] = [_("Please give the date.")]
    elif held_on > workdays.today():
        errors["held_on"] = [_("The date cannot be in the future.")]
    elif held_on < locked.issued_on:
        errors["held_on"] = [_("The date cannot be before the directive was issued.")]
    if attendee_count is None or attendee_count < 1:
        errors["attendee_count"] = [_("Give the number of people who attended (at least one).")]
    if errors or held_on is None or attendee_count is None:
        raise invalid(errors)
    record = ConveyanceRecord.objects.create(
        directive=locked,
        org=org,
        method=method,
        held_on=held_on,
        attendee_count=attendee_count,
        attendee_names=attendee_names.strip(),
        notes=notes.strip(),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="directive.conveyance",
        obj=locked,
        changes={
            "record": record.pk,
            "org": org.pk,
            "method": method,
            "held_on": held_on,
            "attendees": attendee_count,
        },
    )
    return record


@dataclass
class ConveyanceRow:
    org: Organization
    records: list[ConveyanceRecord] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return bool(self.records)


def conveyance_status(*, user: Any, directive: Directive) -> list[ConveyanceRow]:
    """Every reached unit the user can see, in tree order, with its records (none: not yet conveyed).
    A fixed number of queries whatever the number of units."""
    reached = reached_org_ids(directive)
    orgs = list(access.visible(user, Organization.objects.filter(pk__in=reached)).order_by("path"))
    by_org: dict[int, list[ConveyanceRecord]] = {}
    for record in (
        ConveyanceRecord.objects.filter(directive=directive, org_id__in=[o.pk for o in orgs])
        .select_related("recorded_by")
        .order_by("held_on", "pk")
    ):
        by_org.setdefault(record.org_id, []).append(record)
    return [ConveyanceRow(org=o, records=by_org.get(o.pk, [])) for o in orgs]


def conveyances_of(*, user: Any, directive: Directive) -> list[ConveyanceRecord]:
    """The records of a directive (found through the policy) by units the user can see, in date order."""
    return list(
        ConveyanceRecord.objects.filter(
            directive=directive, org__in=access.visible(user, Organization.objects.all())
        )
        .select_related("org", "recorded_by")
        .order_by("held_on", "pk")
    )
