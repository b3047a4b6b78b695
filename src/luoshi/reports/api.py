"""Bulletin endpoints, mounted at ``/api/v1/bulletins``: list, generate, read, issue, download."""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from luoshi.api.errors import refusals
from luoshi.api.fields import PERIOD, PERIOD_EXAMPLES
from luoshi.api.pagination import PageNumberPagination
from luoshi.api.security import current_user
from luoshi.evaluation.periods import Period
from luoshi.organizations import selectors as org_selectors
from luoshi.reports import documents, selectors, services
from luoshi.reports.models import Bulletin
from luoshi.reports.views import download_response

router = Router(tags=["bulletins"])


class BulletinOut(Schema):
    id: int
    organization_id: int
    period_key: str
    period_start: date
    period_end: date
    as_of: date
    number: int = Field(description="The version: generating again for the same unit and period adds one.")
    title: str
    status: str
    doc_number: str
    issued_on: date | None
    created_at: datetime
    version: int


class BulletinDetailOut(BulletinOut):
    content: dict[str, Any]


class BulletinFilters(Schema):
    period: str | None = Field(None, pattern=PERIOD, description=PERIOD_EXAMPLES)
    org: int | None = None


class BulletinIn(Schema):
    org_id: int
    period: str = Field(pattern=PERIOD, description=PERIOD_EXAMPLES)
    as_of: date | None = None
    demands: str = Field("", description="Further demands, one per line, after the generated ones.")


class BulletinVersionIn(Schema):
    version: int


class DownloadQuery(Schema):
    format: str = Field("docx", pattern="^(docx|xlsx|pdf)$")


@router.get("", response=list[BulletinOut])
@paginate(PageNumberPagination)
def list_bulletins(request: HttpRequest, filters: Query[BulletinFilters]) -> QuerySet[Bulletin]:
    bulletins = selectors.visible_bulletins(current_user(request))
    if filters.period:
        bulletins = bulletins.filter(period_key=Period.parse(filters.period).key)
    if filters.org:
        bulletins = bulletins.filter(organization_id=filters.org)
    return bulletins


@router.post("", response={201: BulletinDetailOut})
def generate_bulletin(request: HttpRequest, payload: BulletinIn) -> Status[Bulletin]:
    """Generate the next version of a unit's bulletin for a period, from the record as it stands."""
    user = current_user(request)
    org = org_selectors.org_get(user, payload.org_id)
    bulletin = services.bulletin_generate(
        actor=user,
        org=org,
        period=Period.parse(payload.period),
        as_of=payload.as_of,
        demands=payload.demands,
    )
    return Status(201, bulletin)


@router.get("/{int:bulletin_id}", response=BulletinDetailOut)
def get_bulletin(request: HttpRequest, bulletin_id: int) -> Bulletin:
    return selectors.get_bulletin(user=current_user(request), pk=bulletin_id)


@router.post("/{int:bulletin_id}/issue", response=BulletinDetailOut)
def issue_bulletin(request: HttpRequest, bulletin_id: int, payload: BulletinVersionIn) -> Bulletin:
    """Issue a draft version: it gets its document number and is frozen."""
    user = current_user(request)
    bulletin = selectors.get_bulletin(user=user, pk=bulletin_id)
    return services.bulletin_issue(actor=user, bulletin=bulletin, version=payload.version)


@router.get(
    "/{int:bulletin_id}/download",
    # Exports are rate limited (LUOSHI_RATE_LIMITS, group "export").
    response={200: None, **refusals(429)},
    openapi_extra={
        "responses": {
            200: {
                "description": "The document in the format asked for.",
                "content": {
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in documents.CONTENT_TYPES.values()
                },
            }
        }
    },
)
def download_bulletin(request: HttpRequest, bulletin_id: int, query: Query[DownloadQuery]) -> HttpResponse:
    """The bulletin as .docx (official layout), .xlsx or .pdf."""
    bulletin = selectors.get_bulletin(user=current_user(request), pk=bulletin_id)
    return download_response(bulletin, query.format)
