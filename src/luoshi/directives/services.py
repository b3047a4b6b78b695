"""Writes to directives, clauses and focus areas. Each function is one use case, atomic, audited last."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core.errors import NotAllowed, ValidationFailed
from luoshi.core.validation import check_version, snapshot, validate_model
from luoshi.directives import rules
from luoshi.directives.docnumbers import normalize_doc_number
from luoshi.directives.models import Clause, ClauseKind, Directive, FocusArea
from luoshi.organizations.models import Organization, User
from luoshi.search import services as search

DIRECTIVE_FIELDS = ("title", "issuing_body", "level", "kind", "doc_number", "issued_on", "full_text")
CLAUSE_FIELDS = ("ordinal", "kind", "heading", "text", "focus_area_id")
FOCUS_AREA_FIELDS = ("name", "code", "sort_order", "keywords", "is_active")


def _doc_number(raw: str, *, exclude_pk: int | None = None) -> str:
    try:
        number = normalize_doc_number(raw)
    except ValidationError as exc:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"doc_number": exc.messages}
        ) from exc
    same = Directive.objects.filter(doc_number=number)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if number and same.exists():
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"doc_number": [_("%(number)s is already registered.") % {"number": number}]},
        )
    return number


# --- focus areas ----------------------------------------------------------------------------------


@transaction.atomic
def focus_area_create(
    *, actor: User, name: str, code: str, sort_order: int = 0, keywords: str = ""
) -> FocusArea:
    if not rules.may_manage_focus_areas(actor):
        raise NotAllowed(_("Only the administrators and supervisors of the whole city manage focus areas."))
    area = FocusArea(name=name.strip(), code=code.strip(), sort_order=sort_order, keywords=keywords.strip())
    validate_model(area)
    area.save()
    audit.record(
        actor=actor,
        action="focus_area.create",
        obj=area,
        changes={"after": snapshot(area, FOCUS_AREA_FIELDS)},
    )
    return area


@transaction.atomic
def focus_area_update(*, actor: User, area: FocusArea, version: int, **changes: Any) -> FocusArea:
    locked = FocusArea.objects.select_for_update().get(pk=area.pk)
    access.require(actor, "change", locked)
    check_version(locked, version)
    before = snapshot(locked, FOCUS_AREA_FIELDS)
    for field, value in changes.items():
        if field not in FOCUS_AREA_FIELDS:
            raise ValueError(f"focus_area_update cannot change {field}")
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    validate_model(locked)
    changed = audit.diff(before, snapshot(locked, FOCUS_AREA_FIELDS))
    if not changed:
        return locked
    locked.version += 1
    locked.save()
    audit.record(actor=actor, action="focus_area.update", obj=locked, changes=changed)
    return locked


# --- directives -----------------------------------------------------------------------------------


@transaction.atomic
def directive_create(
    *,
    actor: User,
    issuing_org: Organization,
    title: str,
    level: str,
    kind: str,
    issued_on: date,
    doc_number: str = "",
    issuing_body: str = "",
    full_text: str = "",
) -> Directive:
    """Register a directive in the ledger of ``issuing_org`` (the unit that issued or received it)."""
    if not rules.may_register_for(actor, issuing_org):
        raise NotAllowed(
            _("Only the people of %(unit)s or its supervisors may register its directives.")
            % {"unit": issuing_org.name}
        )
    directive = Directive(
        issuing_org=issuing_org,
        title=title.strip(),
        level=level,
        kind=kind,
        issued_on=issued_on,
        doc_number=_doc_number(doc_number),
        issuing_body=issuing_body.strip(),
        full_text=full_text.strip(),
        created_by=actor,
    )
    validate_model(directive)
    directive.save()
    search.index_directive(directive)
    audit.record(
        actor=actor,
        action="directive.create",
        obj=directive,
        changes={"after": snapshot(directive, DIRECTIVE_FIELDS), "issuing_org": issuing_org.pk},
    )
    return directive


@transaction.atomic
def directive_update(*, actor: User, directive: Directive, version: int, **changes: Any) -> Directive:
    locked = (
        Directive.objects.select_for_update(of=("self",)).select_related("issuing_org").get(pk=directive.pk)
    )
    access.require(actor, "change", locked)
    check_version(locked, version)
    before = snapshot(locked, DIRECTIVE_FIELDS)
    for field, value in changes.items():
        if field not in DIRECTIVE_FIELDS:
            raise ValueError(f"directive_update cannot change {field}")
        if field == "doc_number":
            value = _doc_number(value, exclude_pk=locked.pk)
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    validate_model(locked)
    changed = audit.diff(before, snapshot(locked, DIRECTIVE_FIELDS))
    if not changed:
        return locked
    locked.version += 1
    locked.save()
    search.index_directive(locked)
    audit.record(actor=actor, action="directive.update", obj=locked, changes=changed)
    return locked


# --- clauses --------------------------------------------------------------------------------------


@transaction.atomic
def clause_add(
    *,
    actor: User,
    directive: Directive,
    text: str,
    focus_area: FocusArea | None = None,
    kind: str = ClauseKind.DEMAND,
    heading: str = "",
    ordinal: int | None = None,
) -> Clause:
    """Add a clause; without ``ordinal`` it goes after the last one."""
    locked = (
        Directive.objects.select_for_update(of=("self",)).select_related("issuing_org").get(pk=directive.pk)
    )
    access.require(actor, "add_clause", locked)
    if ordinal is None:
        ordinal = (Clause.objects.filter(directive=locked).aggregate(last=Max("ordinal"))["last"] or 0) + 1
    clause = Clause(
        directive=locked,
        ordinal=ordinal,
        text=text.strip(),
        focus_area=focus_area,
        kind=kind,
        heading=heading.strip(),
    )
    validate_model(clause)
    clause.save()
    search.index_clause(clause)
    audit.record(
        actor=actor,
        action="clause.create",
        obj=clause,
        changes={"directive": locked.pk, "after": snapshot(clause, CLAUSE_FIELDS)},
    )
    return clause


@transaction.atomic
def clause_update(*, actor: User, clause: Clause, version: int, **changes: Any) -> Clause:
    locked = (
        Clause.objects.select_for_update(of=("self",))
        .select_related("directive__issuing_org")
        .get(pk=clause.pk)
    )
    access.require(actor, "change", locked)
    check_version(locked, version)
    before = snapshot(locked, CLAUSE_FIELDS)
    for field, value in changes.items():
        if field not in {"ordinal", "kind", "heading", "text", "focus_area"}:
            raise ValueError(f"clause_update cannot change {field}")
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    validate_model(locked)
    changed = audit.diff(before, snapshot(locked, CLAUSE_FIELDS))
    if not changed:
        return locked
    locked.version += 1
    locked.save()
    search.index_clause(locked)
    audit.record(actor=actor, action="clause.update", obj=locked, changes=changed)
    return locked
