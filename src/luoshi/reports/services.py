"""Generating and issuing bulletins. Each function is one use case, atomic, audited."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import workdays
from luoshi.core.errors import Conflict, NotAllowed, ValidationFailed
from luoshi.evaluation.periods import Period
from luoshi.organizations.models import Organization, User
from luoshi.reports import content as bulletin_content
from luoshi.reports import documents, rules
from luoshi.reports.models import Bulletin, BulletinStatus


def _invalid(fields: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


@transaction.atomic
def bulletin_generate(
    *,
    actor: User | None,
    org: Organization,
    period: Period,
    as_of: date | None = None,
    demands: str = "",
    language: str | None = None,
) -> Bulletin:
    """Take the period's figures from the record and keep them as the next version of the bulletin.

    ``actor`` None is the command line (run by the operator on the server). The content is frozen from
    here on; generating again makes another version.
    """
    if actor is not None:
        access.require(actor, "view", org)
        if not rules.may_issue_for(actor, org):
            raise NotAllowed(
                _("Only supervisors over %(unit)s and its leaders may make its bulletins.")
                % {"unit": org.name}
            )
    today = workdays.today()
    if period.start > today:
        raise _invalid({"period": [_("The period %(period)s has not started yet.") % {"period": period.key}]})
    if len(demands) > 4000:
        raise _invalid({"demands": [_("Please keep the demands under 4,000 characters.")]})
    as_of = min(as_of or today, period.end)
    language = language or get_language() or "zh-hans"
    data = bulletin_content.build(org=org, period=period, as_of=as_of, language=language, demands=demands)
    locked = list(
        Bulletin.objects.select_for_update()
        .filter(organization=org, period_key=period.key)
        .values_list("pk", flat=True)
    )
    number = (Bulletin.objects.filter(pk__in=locked).aggregate(n=Max("number"))["n"] or 0) + 1
    from django.utils import translation

    with translation.override(language):
        title = documents.title_of(data)
    bulletin = Bulletin.objects.create(
        organization=org,
        period_kind=str(period.kind),
        period_key=period.key,
        period_start=period.start,
        period_end=period.end,
        as_of=as_of,
        number=number,
        title=title[:200],
        content=data,
        created_by=actor,
    )
    audit.record(
        actor=actor or "command line",
        action="bulletin.generate",
        obj=bulletin,
        changes={"period": period.key, "number": number, "totals": data["totals"]},
    )
    return bulletin


def _next_doc_number(org: Organization, year: int) -> str:
    prefix = str(bulletin_content.bulletin_settings()["doc_prefix"]).format(org=org.display_name)
    stem = f"{prefix}〔{year}〕"
    taken = Bulletin.objects.filter(doc_number__startswith=stem).values_list("doc_number", flat=True)
    numbers = [int(n[len(stem) : -1]) for n in taken if n.endswith("号") and n[len(stem) : -1].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1}号"


@transaction.atomic
def bulletin_issue(*, actor: User, bulletin: Bulletin, version: int) -> Bulletin:
    """Issue a generated version: it gets its document number and date and is frozen for good. An
    earlier issued version of the same period is superseded (kept, and still readable)."""
    access.require(actor, "issue", bulletin)
    locked = Bulletin.objects.select_for_update().select_related("organization").get(pk=bulletin.pk)
    if locked.version != version:
        raise Conflict(_("Someone else changed this bulletin in the meantime. Reload it and try again."))
    if locked.status != BulletinStatus.DRAFT:
        raise Conflict(
            _("Only a draft can be issued; this version is “%(state)s”.")
            % {"state": locked.get_status_display()}
        )
    today = workdays.today()
    replaced = list(
        Bulletin.objects.filter(
            organization=locked.organization, period_key=locked.period_key, status=BulletinStatus.ISSUED
        ).values_list("pk", flat=True)
    )
    Bulletin.objects.filter(pk__in=replaced).update(status=BulletinStatus.SUPERSEDED)
    locked.doc_number = _next_doc_number(locked.organization, today.year)
    locked.issued_on = today
    locked.issued_by = actor
    locked.status = BulletinStatus.ISSUED
    locked.version += 1
    locked.save(update_fields=["doc_number", "issued_on", "issued_by", "status", "version"])
    audit.record(
        actor=actor,
        action="bulletin.issue",
        obj=locked,
        changes={"doc_number": locked.doc_number, "superseded": replaced},
    )
    return locked
