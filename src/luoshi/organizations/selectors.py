"""Reads of the organisation tree and the people in it, always narrowed to what the reader may see.

Pages and API endpoints both read through here, so the two show the same rows and neither forgets the
access policy or the ``select_related``/``prefetch_related`` that keep list queries constant in number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import router
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.access import visible
from luoshi.core import sql, trees
from luoshi.core.errors import NotFound
from luoshi.organizations.models import Membership, Organization, User

# --- organisations --------------------------------------------------------------------------------


def org_list(
    user: Any,
    *,
    parent: Organization | int | None = None,
    q: str | None = None,
    kind: str | None = None,
) -> QuerySet[Organization]:
    """Visible units in tree order, optionally the children of ``parent``, a ``kind``, or a name match."""
    qs = visible(user, Organization.objects.all())
    if parent is not None:
        qs = qs.filter(parent=parent)
    if kind:
        qs = qs.filter(kind=kind)
    if q and q.strip():
        needle = q.strip()
        qs = qs.filter(Q(name__icontains=needle) | Q(short_name__icontains=needle))
    return qs.order_by("path")


def org_children(user: Any, org: Organization) -> QuerySet[Organization]:
    """The visible units directly below ``org``, in the order people arranged them."""
    return visible(user, Organization.objects.filter(parent=org)).order_by("sort_order", "name", "pk")


# The unit and its parent in one written-out statement (``org_get``): the columns of each under its alias.
_UNIT = sql.ModelColumns(Organization, "o")
_PARENT = sql.ModelColumns(Organization, "p")
_UNIT_WITH_PARENT = (
    f'SELECT {_UNIT.sql}, {_PARENT.sql} FROM "{Organization._meta.db_table}" o'  # noqa: S608 -- the model's names
    f' LEFT JOIN "{Organization._meta.db_table}" p ON p."id" = o."parent_id" WHERE o."id" = %s'
)
_INT64 = 2**63


def org_get(user: Any, org_id: int) -> Organization:
    """One visible unit with its parent loaded; ``NotFound`` whether it is missing or hidden.

    Every request that names a unit asks this (the ledger of a district, say), and building the visible
    query with its parent through the ORM cost more than running it. So the unit and its parent are read
    by key in one written-out statement, and the policy's in-hand test for units (its own visibility rule
    decided on the row's path) answers whether the reader sees it; only when that test does not prove it
    visible does the database decide, as ``visible`` would (``tests/organizations/test_org_get.py`` holds
    the two paths together).
    """
    if user is None or not user.is_authenticated or not user.is_active or not -_INT64 <= org_id < _INT64:
        # Nobody signed in (or active) sees anything, and a key beyond 64 bits is no row's: as ``visible``
        # decides them.
        return _org_get_by_query(user, org_id)
    rows = sql.read_rows(Organization, _UNIT_WITH_PARENT, [org_id])
    if not rows:
        raise NotFound(_("Not found."))
    using = router.db_for_read(Organization)
    width = len(_UNIT.fields)
    org = _UNIT.build(rows[0][:width], using=using)
    # The parent as ``select_related`` leaves it: loaded, or None for a top-level unit.
    org.parent = _PARENT.build(rows[0][width:], using=using) if org.parent_id is not None else None
    if not access.is_visible(user, org, fresh=True):
        raise NotFound(_("Not found."))
    return org


def _org_get_by_query(user: Any, org_id: int) -> Organization:
    org = visible(user, Organization.objects.select_related("parent")).filter(pk=org_id).first()
    if org is None:
        raise NotFound(_("Not found."))
    return org


@dataclass
class OrgNode:
    """A unit and the visible units below it, for drawing the tree."""

    org: Organization
    children: list[OrgNode] = field(default_factory=list)


def org_tree(user: Any, *, include_inactive: bool = False) -> list[OrgNode]:
    """Every visible unit as a forest of ``OrgNode``, siblings by sort order then name.

    One query: rows arrive in path order, so each parent is met before its children and the forest is
    assembled in a single pass without walking the tree in the database.
    """
    qs = visible(user, Organization.objects.all())
    if not include_inactive:
        qs = qs.filter(is_active=True)
    nodes: dict[int, OrgNode] = {}
    roots: list[OrgNode] = []
    for org in qs.order_by("path"):
        node = OrgNode(org)
        nodes[org.pk] = node
        parent = nodes.get(org.parent_id) if org.parent_id is not None else None
        # A unit whose parent is hidden (or inactive and left out) starts a tree of its own.
        (parent.children if parent is not None else roots).append(node)

    def arrange(siblings: list[OrgNode]) -> None:
        siblings.sort(key=lambda n: (n.org.sort_order, n.org.name))
        for n in siblings:
            arrange(n.children)

    arrange(roots)
    return roots


@dataclass(frozen=True)
class OrgDetail:
    """What a unit's page shows: the unit, the chain above it, the units below, and who works there."""

    org: Organization
    ancestors: list[Organization]
    children: list[Organization]
    memberships: list[Membership]


def org_detail(user: Any, org_id: int) -> OrgDetail:
    """A visible unit with its breadcrumb, visible children and members (``NotFound`` if hidden)."""
    org = org_get(user, org_id)
    ancestors = list(org_list(user).filter(pk__in=trees.ids_in_path(org.path)[:-1]))
    children = list(org_children(user, org))
    memberships = list(
        Membership.objects.filter(organization=org, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
    )
    return OrgDetail(org=org, ancestors=ancestors, children=children, memberships=memberships)


# --- people ---------------------------------------------------------------------------------------


def _memberships_prefetch(user: Any) -> Prefetch[Any]:
    """Memberships with their units, limited to units the reader may see.

    A person may also hold a post in a unit the reader cannot see (a sibling district, say); listing it
    would name that unit, so it is left out, as it would be anywhere else.
    """
    memberships = Membership.objects.select_related("organization").filter(
        organization__in=visible(user, Organization.objects.all())
    )
    return Prefetch(
        "memberships",
        queryset=memberships.order_by("-is_primary", "organization__path", "role"),
        to_attr="visible_memberships",
    )


def people_list(
    user: Any,
    org: Organization | None = None,
    q: str | None = None,
    *,
    subtree: bool = False,
) -> QuerySet[User]:
    """Visible people, each with ``visible_memberships`` prefetched.

    ``org`` keeps those who hold a post in that unit (or, with ``subtree``, anywhere below it too); ``q``
    matches the username, name or email. Phone numbers are encrypted at rest, so they cannot be searched.
    """
    qs = visible(user, User.objects.all())
    if org is not None:
        where = trees.subtree_q("organization__path", org.path) if subtree else Q(organization=org)
        # A subquery rather than a join, so a person with two posts in the unit is listed once.
        qs = qs.filter(pk__in=Membership.objects.filter(where).values("user_id"))
    if q and q.strip():
        needle = q.strip()
        qs = qs.filter(
            Q(username__icontains=needle) | Q(display_name__icontains=needle) | Q(email__icontains=needle)
        )
    return qs.prefetch_related(_memberships_prefetch(user)).order_by("username")


def person_get(user: Any, person_id: int) -> User:
    """One visible person with ``visible_memberships`` prefetched; ``NotFound`` if missing or hidden."""
    person = people_list(user).filter(pk=person_id).first()
    if person is None:
        raise NotFound(_("Not found."))
    return person
