"""Drafting use cases: analyse a text (nothing saved), save it as a draft, correct the draft (edit, merge,
split, drop clauses), and confirm it, which creates the clauses and, if asked, their tasks.

Every function is atomic and audited; a draft carries a version, checked on every change.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import workdays
from luoshi.core.errors import Conflict, NotAllowed, ValidationFailed
from luoshi.core.validation import check_version
from luoshi.directives import rules as directive_rules
from luoshi.directives import services as directive_services
from luoshi.directives.models import Clause, ClauseKind, Directive, FocusArea
from luoshi.drafting import selectors
from luoshi.drafting.analysis import Analysis, AnalysisError, analyze
from luoshi.drafting.models import Draft, DraftStatus, FocusKeyword
from luoshi.drafting.sources import read_upload
from luoshi.organizations.models import Organization, User
from luoshi.tasks import rules as task_rules
from luoshi.tasks import services as task_services
from luoshi.tasks.models import ReportCadence

CLAUSE_TEXT_MAX = 2000
CADENCES = {c.value for c in ReportCadence}


def analysis_message(error: AnalysisError) -> str:
    """What to tell the person, in their language, for each reason a text cannot be analysed."""
    limit = settings.LUOSHI_DRAFTING_MAX_CHARS
    messages = {
        "empty": _("The text is empty. Paste a directive's text or upload a .docx or .txt file."),
        "too_long": _(
            "The text is too long to analyse: at most %(chars)d characters, or a file of %(mb)d MB."
        )
        % {"chars": limit, "mb": settings.LUOSHI_DRAFTING_MAX_FILE_BYTES // (1024 * 1024)},
        "binary": _("This does not look like text. Upload a .docx or .txt file, or paste the text."),
        "language": _("Only texts in Chinese or English can be analysed."),
        "timeout": _("The analysis took too long and was stopped. Split the text into parts and try again."),
        "file_type": _("Upload a .docx or .txt file."),
    }
    return str(messages.get(error.code, messages["binary"]))


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields={field: [message]})


def _proposal(analysis: Analysis) -> dict[str, Any]:
    clauses = []
    for clause in analysis.clauses:
        item = asdict(clause)
        item["due_on"] = clause.due_on.isoformat() if clause.due_on else None
        item["focus_area"] = item.pop("focus_id")
        item["units"] = item.pop("unit_ids")
        item["include"] = True
        clauses.append(item)
    return {
        "headings": [asdict(h) for h in analysis.headings],
        "clauses": clauses,
        "context": [asdict(c) for c in analysis.context],
    }


def text_of_upload(*, name: str, data: bytes) -> str:
    try:
        return read_upload(name, data, max_bytes=settings.LUOSHI_DRAFTING_MAX_FILE_BYTES)
    except AnalysisError as exc:
        raise _invalid("file", analysis_message(exc)) from exc


def draft_analyze(*, actor: User, text: str, reference: date | None = None) -> tuple[str, dict[str, Any]]:
    """The language and proposal for ``text`` with suggestions from what ``actor`` can see. Saves nothing."""
    try:
        analysis = analyze(
            text,
            reference=reference or workdays.today(),
            areas=selectors.area_terms(),
            units=selectors.unit_terms(actor),
            history=selectors.past_clauses(actor),
            max_chars=settings.LUOSHI_DRAFTING_MAX_CHARS,
            time_limit=settings.LUOSHI_DRAFTING_TIME_LIMIT,
        )
    except AnalysisError as exc:
        raise _invalid("text", analysis_message(exc)) from exc
    return analysis.language, _proposal(analysis)


@transaction.atomic
def draft_create(
    *, actor: User, text: str, directive: Directive | None = None, source_name: str = ""
) -> Draft:
    """Analyse ``text`` and keep the proposal as a draft of ``actor``'s, to correct and confirm later."""
    if directive is not None:
        access.require(actor, "add_clause", directive)
    reference = directive.issued_on if directive is not None else None
    language, proposal = draft_analyze(actor=actor, text=text, reference=reference)
    draft = Draft.objects.create(
        directive=directive,
        created_by=actor,
        source_name=source_name[:200],
        text=text,
        language=language,
        proposal=proposal,
    )
    audit.record(
        actor=actor,
        action="draft.create",
        obj=draft,
        changes={"directive": directive.pk if directive else None, "clauses": len(proposal["clauses"])},
    )
    return draft


# --- correcting ------------------------------------------------------------------------------------


def merge_with_next(clauses: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """Clause ``index`` and the one after it become one (texts joined; suggestions of the first kept)."""
    if not 0 <= index < len(clauses) - 1:
        raise _invalid("clauses", _("There is no next clause to merge with."))
    first, second = clauses[index], clauses[index + 1]
    joiner = "" if re.search(r"[\u4e00-\u9fff]$", first["text"]) else " "
    merged = {
        **first,
        "text": f"{first['text'].rstrip()}{'，' if joiner == '' else ','}{joiner}{second['text'].lstrip()}",
        "end": second.get("end"),
        "units": list(dict.fromkeys([*first.get("units", []), *second.get("units", [])])),
    }
    return [*clauses[:index], merged, *clauses[index + 2 :]]


def split_lines(clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A clause whose text was edited into several lines becomes one clause per line."""
    result = []
    for clause in clauses:
        parts = [line.strip() for line in str(clause.get("text", "")).splitlines() if line.strip()]
        if len(parts) <= 1:
            result.append(clause)
            continue
        for part in parts:
            result.append({**clause, "text": part, "start": None, "end": None})
    return result


def _clean(
    draft: Draft, items: list[dict[str, Any]], areas: set[int], units: set[int]
) -> list[dict[str, Any]]:
    clean = []
    errors: dict[str, list[str]] = {}
    for number, item in enumerate(items, start=1):
        text = str(item.get("text", "")).strip()
        key = f"clauses.{number}"
        if not text:
            errors.setdefault(key, []).append(_("Clause %(n)d is empty.") % {"n": number})
            continue
        if len(text) > CLAUSE_TEXT_MAX:
            errors.setdefault(key, []).append(
                _("Clause %(n)d is longer than %(max)d characters.") % {"n": number, "max": CLAUSE_TEXT_MAX}
            )
        start, end = item.get("start"), item.get("end")
        # The span stays only while the text is still the source's words there.
        if not (isinstance(start, int) and isinstance(end, int) and draft.text[start:end] == text):
            start = end = None
        focus_raw = item.get("focus_area")
        focus = int(str(focus_raw)) if str(focus_raw).isdigit() else None
        if focus_raw not in (None, "") and focus not in areas:
            errors.setdefault(key, []).append(_("Choose a focus area from the list."))
        chosen = [int(u) for u in item.get("units", []) if str(u).isdigit()]
        if any(u not in units for u in chosen):
            errors.setdefault(key, []).append(_("Choose units from the list."))
        due = item.get("due_on") or None
        if due is not None:
            try:
                due = date.fromisoformat(str(due)).isoformat()
            except ValueError:
                errors.setdefault(key, []).append(_("Write the due date as YYYY-MM-DD."))
        cadence = item.get("cadence") or ""
        if cadence and cadence not in CADENCES:
            errors.setdefault(key, []).append(_("Choose a report cadence from the list."))
        kind = item.get("kind") or ClauseKind.DEMAND
        if kind not in ClauseKind.values:
            errors.setdefault(key, []).append(_("Choose a kind from the list."))
        clean.append(
            {
                "text": text,
                "start": start,
                "end": end,
                "kind": kind,
                "heading": str(item.get("heading", "")).strip()[:200],
                "heading_index": item.get("heading_index"),
                "focus_area": focus,
                "focus_code": item.get("focus_code", ""),
                "units": chosen,
                "unit_reasons": item.get("unit_reasons", []),
                "due_on": due,
                "cadence": cadence,
                "ongoing": bool(item.get("ongoing")),
                "include": bool(item.get("include", True)),
            }
        )
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)
    return clean


@transaction.atomic
def draft_update(
    *,
    actor: User,
    draft: Draft,
    version: int,
    clauses: list[dict[str, Any]],
    directive: Directive | None = None,
) -> Draft:
    """Replace the draft's clauses with the corrected ones (and, optionally, choose its directive)."""
    locked = Draft.objects.select_for_update().get(pk=draft.pk)
    access.require(actor, "change", locked)
    check_version(locked, version)
    if locked.status != DraftStatus.OPEN:
        raise Conflict(_("This draft has been confirmed; start a new one to change its clauses."))
    if directive is not None:
        access.require(actor, "add_clause", directive)
        locked.directive = directive
    areas = set(FocusArea.objects.values_list("pk", flat=True))
    units = set(
        access.visible(actor, Organization.objects.filter(pk__in=_unit_ids(clauses))).values_list(
            "pk", flat=True
        )
    )
    before = len(locked.proposal.get("clauses", []))
    locked.proposal = {**locked.proposal, "clauses": _clean(locked, split_lines(clauses), areas, units)}
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        action="draft.update",
        obj=locked,
        changes={"clauses": [before, len(locked.proposal["clauses"])]},
    )
    return locked


def _unit_ids(clauses: list[dict[str, Any]]) -> set[int]:
    return {int(u) for c in clauses for u in c.get("units", []) if str(u).isdigit()}


@transaction.atomic
def draft_confirm(*, actor: User, draft: Draft, version: int, create_tasks: bool = False) -> list[Clause]:
    """Create the included clauses under the draft's directive, in order; with ``create_tasks``, also a
    draft task for every clause with a suggested lead unit, assigned by the directive's issuing unit.
    All or nothing."""
    locked = Draft.objects.select_for_update().get(pk=draft.pk)
    access.require(actor, "change", locked)
    check_version(locked, version)
    if locked.status != DraftStatus.OPEN:
        raise Conflict(_("This draft has already been confirmed."))
    directive = locked.directive
    if directive is None:
        raise _invalid("directive", _("Choose the directive the clauses belong to."))
    directive = Directive.objects.select_related("issuing_org").get(pk=directive.pk)
    access.require(actor, "add_clause", directive)
    if create_tasks and not task_rules.may_assign_from(actor, directive.issuing_org):
        raise NotAllowed(
            _("Only the people of %(unit)s or its supervisors may register tasks for it.")
            % {"unit": directive.issuing_org.name}
        )
    items = [item for item in locked.proposal.get("clauses", []) if item.get("include", True)]
    if not items:
        raise _invalid("clauses", _("Keep at least one clause to create."))
    areas = FocusArea.objects.in_bulk([i["focus_area"] for i in items if i.get("focus_area")])
    units = access.visible(actor, Organization.objects.all()).in_bulk(list(_unit_ids(items)))
    created: list[Clause] = []
    tasks: list[int] = []
    for number, item in enumerate(items, start=1):
        clause = directive_services.clause_add(
            actor=actor,
            directive=directive,
            text=item["text"],
            focus_area=areas.get(item.get("focus_area") or 0),
            kind=item.get("kind") or ClauseKind.DEMAND,
            heading=item.get("heading", ""),
        )
        created.append(clause)
        leads = [units[u] for u in item.get("units", []) if u in units]
        if create_tasks and leads:
            due = (
                date.fromisoformat(item["due_on"])
                if item.get("due_on")
                else date(directive.issued_on.year, 12, 31)
            )
            try:
                task = task_services.task_create(
                    actor=actor,
                    assigning_org=directive.issuing_org,
                    lead_org=leads[0],
                    title=_title(item["text"]),
                    due_on=max(due, directive.issued_on),
                    clause=clause,
                    description=item["text"] if len(item["text"]) > 200 else "",
                    focus_area=clause.focus_area,
                    cooperating_orgs=leads[1:],
                    report_cadence=item.get("cadence") or ReportCadence.MONTHLY,
                )
            except ValidationFailed as exc:
                messages = [str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)]
                raise ValidationFailed(
                    _("Please correct the marked fields."), fields={f"clauses.{number}": messages}
                ) from exc
            tasks.append(task.pk)
    locked.status = DraftStatus.CONFIRMED
    locked.confirmed_at = timezone.now()
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        action="draft.confirm",
        obj=locked,
        changes={"directive": directive.pk, "clauses": [c.pk for c in created], "tasks": tasks},
    )
    return created


def _title(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= 200 else text[:199] + "…"


# --- keywords that suggest focus areas ---------------------------------------------------------------


@transaction.atomic
def focus_keyword_add(*, actor: User, area: FocusArea, phrase: str) -> FocusKeyword:
    """Teach the drafting help one more word for ``area`` (administrators and city supervisors)."""
    if not directive_rules.may_manage_focus_areas(actor):
        raise NotAllowed(_("Only the administrators and supervisors of the whole city manage focus areas."))
    phrase = " ".join(phrase.split())
    if not phrase or len(phrase) > 60:
        raise _invalid("phrase", _("Write a keyword of 1 to 60 characters."))
    if FocusKeyword.objects.filter(area=area, phrase=phrase).exists() or phrase in area.keyword_list():
        raise _invalid(
            "phrase", _("“%(phrase)s” is already a keyword of %(area)s.") % {"phrase": phrase, "area": area}
        )
    keyword = FocusKeyword.objects.create(area=area, phrase=phrase)
    audit.record(
        actor=actor, action="focus_keyword.create", obj=keyword, changes={"area": area.pk, "phrase": phrase}
    )
    return keyword


@transaction.atomic
def focus_keyword_remove(*, actor: User, keyword: FocusKeyword) -> None:
    if not directive_rules.may_manage_focus_areas(actor):
        raise NotAllowed(_("Only the administrators and supervisors of the whole city manage focus areas."))
    audit.record(
        actor=actor,
        action="focus_keyword.delete",
        obj=keyword,
        changes={"area": keyword.area_id, "phrase": keyword.phrase},
    )
    keyword.delete()
