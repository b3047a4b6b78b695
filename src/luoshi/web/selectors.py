"""Reads shaped for the pages: the visible tree with head counts, people lists, recent audit events.

Each function asks the database a fixed number of times, however large the tree: lists are fetched in one
query and nested in Python from the materialized paths, never walked node by node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from luoshi import access
from luoshi.audit import selectors as audit_selectors
from luoshi.audit.models import AuditEvent
from luoshi.core import sql, trees
from luoshi.notifications.models import Notification
from luoshi.organizations.models import Membership, Organization, User

# Trees up to this size are drawn fully open; larger ones open only their top levels.
OPEN_ALL_LIMIT = 150
OPEN_LEVELS = 2


def visible_organizations(user: Any) -> list[Organization]:
    """Every unit ``user`` may see, root first in tree order (one query)."""
    return list(access.visible(user, Organization.objects.all()).order_by("path"))


@dataclass(frozen=True)
class Frame:
    """What every page's frame shows of the signed-in person."""

    # How many of their notifications are unread (``notifications.selectors.unread_count``).
    unread: int
    # The display name of the unit of their primary membership, else of their first unit in tree order;
    # None for someone without one.
    unit: str | None


def frame_of(user: Any) -> Frame:
    """The frame's facts about ``user``, in one statement written out: through the ORM, building the
    two queries cost several times running them."""
    notification, membership, unit = (
        Notification._meta.db_table,
        Membership._meta.db_table,
        Organization._meta.db_table,
    )
    statement = (
        f"SELECT (SELECT COUNT(*) FROM {notification} WHERE recipient_id = %s AND read_at IS NULL),"  # noqa: S608 -- names from the models
        # ``Organization.display_name``: the short name, if the unit has one.
        f" (SELECT COALESCE(NULLIF(o.short_name, ''), o.name) FROM {membership} m"
        f" JOIN {unit} o ON o.id = m.organization_id"
        " WHERE m.user_id = %s ORDER BY m.is_primary DESC, o.path LIMIT 1)"
    )
    [(unread, name)] = sql.read_rows(Membership, statement, [user.pk, user.pk])
    return Frame(unread=int(unread), unit=None if name is None else str(name))


def units_around(user: Any, org: Organization) -> list[Organization]:
    """The units a picker offers from ``org``: its chain up to the root, its siblings and the units
    directly below it, as far as ``user`` may see them, in tree order (one query). A province has two
    thousand units; a list of every one of them is neither quick to render nor to choose from, and
    each step down the tree offers the next level."""
    near = Q(path__in=[*trees.ancestor_paths(org.path), org.path]) | Q(parent=org)
    if org.parent_id is not None:
        near |= Q(parent_id=org.parent_id)
    return list(access.visible(user, Organization.objects.filter(near)).order_by("path"))


def people_counts(user: Any) -> dict[int, int]:
    """Active people per unit, counting only people ``user`` may see (one aggregate query)."""
    people = access.visible(user, User.objects.filter(is_active=True)).values("pk")
    rows = (
        Membership.objects.filter(user__in=people)
        .values("organization_id")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("organization_id", "n")
    )
    return dict(rows)


@dataclass
class TreeItem:
    """One unit in the drawn tree, with what the template needs to open and close the nesting."""

    org: Organization
    level: int
    people: int
    has_children: bool = False
    open: bool = False
    matched: bool = True
    closes_before: range = field(default_factory=lambda: range(0))


@dataclass
class Tree:
    items: list[TreeItem]
    closes_after: range
    total: int
    shown: int
    query: str = ""


def _matches(org: Organization, needle: str) -> bool:
    haystack = " ".join([org.name, org.short_name, org.region_code or ""]).casefold()
    return needle in haystack


def _sibling_order(orgs: list[Organization]) -> list[Organization]:
    """Depth-first order with siblings by sort order, then name (rows arrive in path order, i.e. by id).

    Works on the list in memory: a node's parent is found from its path, never asked of the database.
    """
    present = {o.path for o in orgs}
    children: dict[str, list[Organization]] = {}
    roots: list[Organization] = []
    for org in orgs:
        parent_path = org.path[: -trees.SEGMENT]
        if parent_path in present:
            children.setdefault(parent_path, []).append(org)
        else:
            roots.append(org)

    def key(o: Organization) -> tuple[int, str]:
        return (o.sort_order, o.name)

    ordered: list[Organization] = []
    stack = sorted(roots, key=key, reverse=True)
    while stack:
        org = stack.pop()
        ordered.append(org)
        stack.extend(sorted(children.get(org.path, []), key=key, reverse=True))
    return ordered


def build_tree(orgs: Sequence[Organization], counts: dict[int, int], query: str = "") -> Tree:
    """Nest ``orgs`` (in path order) for drawing; with ``query``, keep the matches and the units above them.

    Nesting follows the paths, so a unit whose parent is not in the list simply starts a new branch.
    Siblings appear by their sort order, then name.
    """
    needle = query.strip().casefold()
    if needle:
        matched_paths = {o.path for o in orgs if _matches(o, needle)}
        keep = matched_paths | {a for p in matched_paths for a in trees.ancestor_paths(p)}
        shown = _sibling_order([o for o in orgs if o.path in keep])
    else:
        matched_paths = {o.path for o in orgs}
        shown = _sibling_order(list(orgs))
    base = min((o.depth for o in shown), default=1)
    open_all = bool(needle) or len(shown) <= OPEN_ALL_LIMIT
    items: list[TreeItem] = []
    stack: list[str] = []  # paths of the open branches, outermost first
    for index, org in enumerate(shown):
        closes = 0
        while stack and not org.path.startswith(stack[-1]):
            stack.pop()
            closes += 1
        following = shown[index + 1] if index + 1 < len(shown) else None
        has_children = following is not None and following.path.startswith(org.path)
        level = org.depth - base
        items.append(
            TreeItem(
                org=org,
                level=level,
                people=counts.get(org.pk, 0),
                has_children=has_children,
                open=open_all or level < OPEN_LEVELS,
                matched=org.path in matched_paths,
                closes_before=range(closes),
            )
        )
        if has_children:
            stack.append(org.path)
    return Tree(
        items=items,
        closes_after=range(len(stack)),
        total=len(orgs),
        shown=sum(1 for i in items if i.matched),
        query=query.strip(),
    )


def children_of(user: Any, org: Organization) -> list[Organization]:
    """The visible units directly under ``org``, each with ``people`` (active, visible) counted."""
    children = list(
        access.visible(user, Organization.objects.filter(parent=org)).order_by("sort_order", "path")
    )
    counts = people_counts(user) if children else {}
    for child in children:
        child.people = counts.get(child.pk, 0)  # type: ignore[attr-defined]
    return children


def members_of(user: Any, org: Organization) -> QuerySet[Membership]:
    """Memberships in ``org`` of people ``user`` may see."""
    people = access.visible(user, User.objects.all()).values("pk")
    return (
        Membership.objects.filter(organization=org, user__in=people)
        .select_related("user")
        .order_by("role", "user__display_name", "user__username")
    )


def visible_memberships(user: Any, person: User) -> QuerySet[Membership]:
    visible_units = access.visible(user, Organization.objects.all()).values("pk")
    return (
        Membership.objects.filter(user=person, organization__in=visible_units)
        .select_related("organization")
        .order_by("organization__path", "role")
    )


def recent_events(obj: Any, limit: int = 10) -> list[AuditEvent]:
    """The latest audit events about ``obj``, newest first (the caller decides who may read them)."""
    return list(audit_selectors.events_for_object(obj._meta.label_lower, obj.pk)[:limit])


def events_by(actor: Any, limit: int = 8) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor=actor).order_by("-seq")[:limit])


def audit_events(user: Any, *, action: str = "", obj: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """Events ``user`` may read, filtered as the audit page offers: action prefix, ``type[:id]``, actor."""
    qs = access.visible(user, AuditEvent.objects.all())
    if action:
        qs = qs.filter(action__startswith=action.strip())
    if obj:
        object_type, _, object_id = obj.strip().partition(":")
        qs = qs.filter(object_type=object_type.strip().lower())
        if object_id.strip():
            qs = qs.filter(object_id=object_id.strip())
    if actor:
        qs = qs.filter(Q(actor_name__icontains=actor.strip()) | Q(actor__username=actor.strip()))
    return qs


@dataclass
class EventPage:
    """One page of events, newest first, paged by sequence number rather than offset."""

    events: list[AuditEvent]
    newer_than: int | None  # pass as ?after= to see the page before this one
    older_than: int | None  # pass as ?before= to see the next page


def event_page(
    qs: QuerySet[AuditEvent], *, before: int | None = None, after: int | None = None, size: int = 50
) -> EventPage:
    if after is not None:
        events = list(qs.filter(seq__gt=after).order_by("seq")[:size])
        events.reverse()
    else:
        window = qs.filter(seq__lt=before) if before is not None else qs
        events = list(window.order_by("-seq")[:size])
    if not events:
        return EventPage(events=[], newer_than=None, older_than=None)
    newest, oldest = events[0].seq, events[-1].seq
    return EventPage(
        events=events,
        newer_than=newest if qs.filter(seq__gt=newest).exists() else None,
        older_than=oldest if qs.filter(seq__lt=oldest).exists() else None,
    )
