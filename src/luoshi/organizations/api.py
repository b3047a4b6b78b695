"""``/api/v1/organizations`` and ``/api/v1/people``: the organisation tree and the people in it.

Handlers parse, authorize through ``luoshi.access``, call one service and answer; reads go through
``luoshi.organizations.selectors`` so that hidden rows are "not found", exactly as on the pages.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, StrictInt

from luoshi.access import Action, can, require, visible
from luoshi.api.errors import refusals
from luoshi.api.fields import NOT_BLANK
from luoshi.api.pagination import PageNumberPagination
from luoshi.api.security import current_user
from luoshi.core.errors import NotAllowed, ValidationFailed
from luoshi.organizations import selectors, services
from luoshi.organizations.models import (
    LanguageChoice,
    Membership,
    Organization,
    OrganizationKind,
    Role,
    User,
)

router = Router(tags=["organizations"])
people_router = Router(tags=["people"])


class Input(Schema):
    """Request bodies refuse unknown fields, so a misspelt field is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid")


# --- organisations --------------------------------------------------------------------------------


class OrganizationOut(Schema):
    id: int
    parent: int | None
    name: str
    short_name: str
    kind: OrganizationKind
    region_code: str | None
    duties: str
    sort_order: int
    is_active: bool
    depth: int
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_parent(obj: Organization) -> int | None:
        return obj.parent_id


class OrganizationCreate(Input):
    # Strict, so that ``true`` is not read as unit 1 (pydantic's lax integers take booleans).
    parent: StrictInt | None = Field(
        description="The unit to create it under; only a system administrator creates top-level units."
    )
    name: str = Field(max_length=100, pattern=NOT_BLANK)
    kind: OrganizationKind | None = Field(
        None, description="Defaults from the parent: a township under a district, and so on."
    )
    short_name: str = Field("", max_length=40)
    region_code: str | None = Field(
        None, pattern=r"^([0-9]{6})?$", description="Six-digit administrative division code."
    )
    duties: str = ""
    sort_order: int = 0


class OrganizationPatch(Input):
    version: int = Field(description="The version that was read; 409 if the unit changed since.")
    parent: int | None = Field(None, description="Moves the unit, with everything below it.")
    name: str | None = Field(None, max_length=100)
    kind: OrganizationKind | None = None
    short_name: str | None = Field(None, max_length=40)
    region_code: str | None = Field(None, pattern=r"^([0-9]{6})?$")
    duties: str | None = None
    sort_order: int | None = None
    is_active: bool | None = None


class OrganizationFilters(Schema):
    parent: int | None = Field(None, description="Only the units directly under this one.")
    q: str | None = Field(None, description="Part of the name or short name.")
    kind: OrganizationKind | None = None


@router.get("", response=list[OrganizationOut])
@paginate(PageNumberPagination)
def list_organizations(request: HttpRequest, filters: Query[OrganizationFilters]) -> Any:
    """The units the caller may see, in tree order."""
    return selectors.org_list(current_user(request), parent=filters.parent, q=filters.q, kind=filters.kind)


@router.post("", response={201: OrganizationOut})
def create_organization(request: HttpRequest, payload: OrganizationCreate) -> Status[Organization]:
    """Create a unit under ``parent`` (needs the right to add units there)."""
    user = current_user(request)
    parent: Organization | None = None
    if payload.parent is None:
        if not user.is_superuser:
            raise NotAllowed(_("Only a system administrator may create a top-level unit."))
    else:
        parent = selectors.org_get(user, payload.parent)
        require(user, Action.ADD_CHILD, parent)
    org = services.organization_create(
        actor=user,
        parent=parent,
        name=payload.name,
        kind=payload.kind or services.default_kind_for_child(parent),
        short_name=payload.short_name,
        region_code=payload.region_code,
        duties=payload.duties,
        sort_order=payload.sort_order,
    )
    return Status(201, org)


@router.get("/{int:org_id}", response=OrganizationOut)
def get_organization(request: HttpRequest, org_id: int) -> Organization:
    return selectors.org_get(current_user(request), org_id)


@router.patch("/{int:org_id}", response=OrganizationOut)
def update_organization(request: HttpRequest, org_id: int, payload: OrganizationPatch) -> Organization:
    """Change the fields sent; a new ``parent`` moves the unit (needs the right to move it and to add
    units under the new parent). All of it happens, or none."""
    user = current_user(request)
    org = selectors.org_get(user, org_id)
    changes = payload.model_dump(exclude_unset=True, mode="json")
    version = changes.pop("version")
    new_parent: Organization | None = None
    if "parent" in changes:
        parent_id = changes.pop("parent")
        if parent_id is None:
            raise ValidationFailed(
                _("Please correct the marked fields."),
                fields={"parent": [_("A unit cannot be made top-level; choose the unit to put it under.")]},
            )
        if parent_id != org.parent_id:
            require(user, Action.MOVE, org)
            new_parent = selectors.org_get(user, parent_id)
            require(user, Action.ADD_CHILD, new_parent)
    if changes:
        require(user, Action.CHANGE, org)
    return services.organization_change(
        actor=user, org=org, version=version, new_parent=new_parent, **changes
    )


@router.get("/{int:org_id}/children", response=list[OrganizationOut])
@paginate(PageNumberPagination)
def list_children(request: HttpRequest, org_id: int) -> Any:
    """The visible units directly under this one, in the order people arranged them."""
    user = current_user(request)
    return selectors.org_children(user, selectors.org_get(user, org_id))


# --- people ---------------------------------------------------------------------------------------

# What people may change about themselves; everything else needs an administrator of their unit.
SELF_SERVICE_FIELDS = frozenset({"display_name", "email", "phone", "language"})


class MembershipIn(Input):
    organization: int
    role: Role
    title: str = Field("", max_length=60, description="The post, e.g. 科长.")


class MembershipOut(Schema):
    organization: int
    organization_name: str
    role: Role
    title: str
    is_primary: bool

    @staticmethod
    def resolve_organization(obj: Membership) -> int:
        return obj.organization_id

    @staticmethod
    def resolve_organization_name(obj: Membership) -> str:
        return obj.organization.name


class PersonOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    phone: str
    language: LanguageChoice
    is_active: bool
    version: int
    memberships: list[MembershipOut] = Field(
        description="Posts in the units the caller may see (posts elsewhere are not shown)."
    )

    @staticmethod
    def resolve_memberships(obj: User) -> list[Membership]:
        return getattr(obj, "visible_memberships", [])


class PersonCreate(Input):
    username: str = Field(max_length=150)
    display_name: str = Field(max_length=60)
    password: str | None = Field(
        None, max_length=4096, description="Leave out to create an account that cannot sign in yet."
    )
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    language: LanguageChoice = LanguageChoice.UNSET
    memberships: list[MembershipIn] = Field(min_length=1)


class PersonPatch(Input):
    version: int = Field(description="The version that was read; 409 if the person changed since.")
    display_name: str | None = Field(None, max_length=60)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)
    language: LanguageChoice | None = None
    is_active: bool | None = None
    memberships: list[MembershipIn] | None = Field(
        None,
        description="Replaces the posts in the units the caller may see; posts elsewhere are kept.",
    )


class PeopleFilters(Schema):
    org: int | None = Field(None, description="Only people with a post in this unit.")
    subtree: bool = Field(False, description="With `org`: in that unit or anywhere below it.")
    q: str | None = Field(
        None,
        description="Part of the username, name or email (phone numbers are encrypted, not searchable).",
    )


def _resolve_memberships(user: User, items: list[MembershipIn]) -> list[tuple[Organization, str, str]]:
    """Load the units named in ``items``; a unit the caller may not see is "not found"."""
    return [(selectors.org_get(user, item.organization), item.role, item.title) for item in items]


def _merge_memberships(
    user: User, person: User, wanted: list[tuple[Organization, str, str]]
) -> list[tuple[Organization, str, str]]:
    """The person's posts after replacing those the caller can see with ``wanted``.

    Adding, changing or removing a post needs ``MANAGE_PEOPLE`` on its unit; posts the caller cannot see
    were never shown to them, so they are kept as they are rather than silently dropped.
    """
    current = list(Membership.objects.filter(user=person).select_related("organization"))
    seen_ids = set(
        visible(user, Organization.objects.filter(pk__in={m.organization_id for m in current})).values_list(
            "pk", flat=True
        )
    )
    before = {(m.organization_id, m.role): m.title for m in current if m.organization_id in seen_ids}
    after = {(org.pk, role): title for org, role, title in wanted}
    for org, role, title in wanted:
        if before.get((org.pk, role)) != title:
            require(user, Action.MANAGE_PEOPLE, org)
    for m in current:
        if m.organization_id in seen_ids and (m.organization_id, m.role) not in after:
            require(user, Action.MANAGE_PEOPLE, m.organization)
    kept = [(m.organization, m.role, m.title) for m in current if m.organization_id not in seen_ids]
    return wanted + kept


def _manages(user: User, person: User) -> bool:
    """Whether ``user`` administers people in at least one unit where ``person`` holds a post."""
    if user.is_superuser:
        return True
    units = Organization.objects.filter(memberships__user=person).distinct()
    return any(can(user, Action.MANAGE_PEOPLE, org) for org in units)


@people_router.get("", response={200: list[PersonOut], **refusals(404)})
@paginate(PageNumberPagination)
def list_people(request: HttpRequest, filters: Query[PeopleFilters]) -> Any:
    """The people the caller may see, by username."""
    user = current_user(request)
    org = selectors.org_get(user, filters.org) if filters.org is not None else None
    return selectors.people_list(user, org, filters.q, subtree=filters.subtree)


@people_router.post("", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonCreate) -> Status[User]:
    """Create a person with their posts (needs the right to manage people in every unit named)."""
    user = current_user(request)
    memberships = _resolve_memberships(user, payload.memberships)
    for org, _role, _title in memberships:
        require(user, Action.MANAGE_PEOPLE, org)
    person = services.person_create(
        actor=user,
        username=payload.username,
        display_name=payload.display_name,
        password=payload.password,
        email=payload.email,
        phone=payload.phone,
        language=payload.language,
        memberships=memberships,
    )
    return Status(201, selectors.person_get(user, person.pk))


@people_router.get("/{int:person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: int) -> User:
    return selectors.person_get(current_user(request), person_id)


@people_router.patch("/{int:person_id}", response=PersonOut)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> User:
    """Change the fields sent. People may change their own name, email, phone and language; the rest,
    posts included, needs an administrator of their unit."""
    user = current_user(request)
    person = selectors.person_get(user, person_id)
    require(user, Action.CHANGE, person)
    changes = payload.model_dump(exclude_unset=True, exclude={"memberships"}, mode="json")
    version = changes.pop("version")
    if set(changes) - SELF_SERVICE_FIELDS and not _manages(user, person):
        raise NotAllowed(_("Only an administrator of this person's unit may change that."))
    if changes.get("is_active") is False and person.pk == user.pk:
        raise NotAllowed(_("You cannot deactivate your own account."))
    memberships = None
    if payload.memberships is not None:
        memberships = _merge_memberships(user, person, _resolve_memberships(user, payload.memberships))
    services.person_update(actor=user, person=person, version=version, memberships=memberships, **changes)
    return selectors.person_get(user, person.pk)
