"""Implementation of the policy described in ``luoshi.access``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from luoshi.core import sql, trees
from luoshi.core.errors import NotAllowed, NotFound
from luoshi.duties.models import Duty, DutyGrant
from luoshi.organizations.models import JURISDICTION_KINDS, Membership, Organization, Role, User

M = TypeVar("M", bound=models.Model)
# Up to this many objects, ``allowed`` asks about exactly those ids.
ALLOWED_IN_LIMIT = 500


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    ADD_CHILD = "add_child"
    MOVE = "move"
    IMPORT = "import"
    MANAGE_PEOPLE = "manage_people"
    VIEW_AUDIT = "view_audit"


@dataclass(frozen=True)
class Scope:
    """A subtree (by path) in which a person holds a role."""

    path: str
    role: str
    organization_id: int


def _membership_rows(user_id: int) -> list[tuple[str, int, str, str, str | None]]:
    """(role, unit id, unit path, unit kind, the person's active duty) for each post in an active unit.

    Every request asks this once, so the statement is written out rather than built by the ORM each
    time (building it cost three times running it)."""
    membership, unit, grant = Membership._meta.db_table, Organization._meta.db_table, DutyGrant._meta.db_table
    return sql.read_rows(
        Membership,
        f"SELECT m.role, m.organization_id, o.path, o.kind, (SELECT g.duty FROM {grant} g"  # noqa: S608
        " WHERE g.user_id = m.user_id AND g.revoked_at IS NULL LIMIT 1)"
        f" FROM {membership} m JOIN {unit} o ON o.id = m.organization_id"
        " WHERE m.user_id = %s AND o.is_active = %s ORDER BY o.path, m.role",
        [user_id, True],
    )


def scopes_of(user: Any) -> list[Scope]:
    """The subtrees the user works in, computed once per user object (i.e. once per request).

    The person's duty (``duty_of``) is read in the same query and shapes the scopes, so every rule that
    asks about administrators follows the separation of duties without knowing of it:

    - a system administrator administers every top-level unit, hence the whole tree;
    - a security or audit administrator administers nothing, whatever posts they hold, since
      administering people and units is the system administrator's power.
    """
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(user, "_luoshi_scopes", None)
    if cached is not None:
        return cached
    rows = _membership_rows(user.pk)
    if rows:
        duty = rows[0][4] or ""
    else:
        # No posts to carry the duty along: ask for it alone (people with no post are few).
        duty = DutyGrant.objects.active().filter(user=user).values_list("duty", flat=True).first() or ""
    if not duty and user.is_superuser:
        # The superuser of ``luoshi createadmin`` administers the installation: a system administrator.
        duty = Duty.SYSTEM
    user._luoshi_duty = duty
    memberships = [row[:4] for row in rows]
    if duty in {Duty.SECURITY, Duty.AUDIT}:
        memberships = [m for m in memberships if m[0] != Role.ADMIN]
    # Supervisors need the nearest jurisdiction above their unit: one query for all their ancestors.
    needed = {
        a
        for role, _, path, kind in memberships
        if role == Role.SUPERVISOR and kind not in JURISDICTION_KINDS
        for a in trees.ancestor_paths(path)
    }
    jurisdiction_paths = (
        set(
            Organization.objects.filter(path__in=needed, kind__in=JURISDICTION_KINDS).values_list(
                "path", flat=True
            )
        )
        if needed
        else set()
    )
    result = []
    for role, org_id, path, kind in memberships:
        scope_path = path
        if role == Role.SUPERVISOR and kind not in JURISDICTION_KINDS:
            above = [p for p in trees.ancestor_paths(path) if p in jurisdiction_paths]
            if above:
                scope_path = max(above, key=len)
        result.append(Scope(path=scope_path, role=role, organization_id=org_id))
    if duty == Duty.SYSTEM:
        roots = Organization.objects.filter(parent__isnull=True, is_active=True).values_list("pk", "path")
        result.extend(Scope(path=path, role=Role.ADMIN, organization_id=pk) for pk, path in roots)
    user._luoshi_scopes = result
    return result


def covers(user: Any, org: Organization) -> bool:
    """Whether one of the user's scopes holds ``org``'s whole subtree, so that every task led in it is
    visible to them: lists and counts of that subtree then need no visibility filter."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or any(trees.is_within(org.path, s.path) for s in scopes_of(user)))


def duty_of(user: Any) -> str:
    """The installation-wide duty ``user`` holds (a ``Duty`` value), or "" for none.

    A superuser without a recorded duty counts as the system administrator. Read along with the scopes,
    once per user object.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return ""
    if getattr(user, "_luoshi_duty", None) is None:
        scopes_of(user)
    return str(user._luoshi_duty)


def holds(user: Any, duty: str) -> bool:
    """Whether ``user`` holds ``duty`` (one of ``Duty``)."""
    return duty_of(user) == duty


def forget(user: Any) -> None:
    """Drop what was computed about ``user`` (after their posts or duty changed in this request)."""
    for name in ("_luoshi_scopes", "_luoshi_duty"):
        if hasattr(user, name):
            delattr(user, name)


def _any_subtree(field: str, paths: list[str]) -> Q:
    q = Q(pk__in=[])
    for path in _outermost(paths):
        q |= trees.subtree_q(field, path)
    return q


def _outermost(paths: list[str]) -> list[str]:
    """Drop paths already covered by another path in the list (fewer OR branches in SQL)."""
    result: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(kept) for kept in result):
            result.append(path)
    return result


def units_within(paths: Iterable[str]) -> RawSQL:
    """The ids of the units in the subtrees at ``paths``, as a subquery for ``field__in=``: what
    ``Organization.objects.filter(<any of the subtrees>).values("pk")`` selects, written out. The task and
    directive rules name it up to three times in a statement, and building it through the ORM each time
    cost more than the rest of the rule (``tests/access/test_units_within.py`` holds the two together)."""
    outermost = _outermost(list(paths))
    ranges = " OR ".join(['("path" >= %s AND "path" < %s)'] * len(outermost)) or "1 = 0"
    params = [bound for path in outermost for bound in (path, trees.successor(path))]
    table = Organization._meta.db_table
    statement = f'SELECT "id" FROM "{table}" WHERE {ranges}'  # noqa: S608 -- names from the model
    return RawSQL(statement, params)  # noqa: S611 -- the values are parameters


def _scope_paths(user: Any, roles: set[str] | None = None) -> list[str]:
    return [s.path for s in scopes_of(user) if roles is None or s.role in roles]


def _covered(path: str, paths: list[str]) -> bool:
    return any(path.startswith(p) for p in paths)


# --- visibility per model -------------------------------------------------------------------------


def _visible_organizations(user: Any, qs: models.QuerySet[Organization]) -> models.QuerySet[Organization]:
    paths = _scope_paths(user)
    # The chain of units above one's own is visible too, so the tree can be drawn from the root.
    ancestors = {a for p in paths for a in trees.ancestor_paths(p)}
    return qs.filter(_any_subtree("path", paths) | Q(path__in=ancestors))


def _organization_in_hand(user: Any, org: Organization) -> bool:
    """``_visible_organizations`` on the row in hand: in a scope's subtree, or on the chain above one."""
    paths = _scope_paths(user)
    return any(org.path.startswith(p) for p in paths) or any(p.startswith(org.path) for p in paths)


def _visible_users(user: Any, qs: models.QuerySet[User]) -> models.QuerySet[User]:
    if holds(user, Duty.SECURITY):
        # The security administrator looks after every account: duties, resets, sessions, locks.
        return qs
    paths = _scope_paths(user)
    members = Membership.objects.filter(_any_subtree("organization__path", paths)).values("user_id")
    return qs.filter(Q(pk=user.pk) | Q(pk__in=members))


VisibilityRule = Callable[[Any, Any], Any]
_VISIBILITY: dict[type[models.Model], VisibilityRule] = {
    Organization: _visible_organizations,
    User: _visible_users,
}


# Models whose rule applies to superusers too: what a duty guards is not the superuser's to see.
_NO_SUPERUSER_BYPASS: set[type[models.Model]] = set()
# Per model, a test on a row's own columns that proves it visible without asking the database.
InHandRule = Callable[[Any, Any], bool]
_IN_HAND: dict[type[models.Model], InHandRule] = {Organization: _organization_in_hand}


def register_visibility(
    model: type[models.Model],
    rule: VisibilityRule,
    *,
    superusers_see_all: bool = True,
    in_hand: InHandRule | None = None,
) -> None:
    """Domain apps register how their models are scoped (e.g. tasks by lead unit and cooperating units).

    ``superusers_see_all=False`` holds superusers to ``rule`` as well (the audit trail, which only the
    audit administrator reads whole).

    ``in_hand(user, obj)`` may answer True when the row's own columns already satisfy ``rule`` (a task
    led inside one of the user's scopes); False means "ask the database". It is consulted only for rows
    the caller has just read from the database and not changed (``require(..., fresh=True)``), whose
    columns are the stored ones.
    """
    _VISIBILITY[model] = rule
    if in_hand is None:
        _IN_HAND.pop(model, None)
    else:
        _IN_HAND[model] = in_hand
    if superusers_see_all:
        _NO_SUPERUSER_BYPASS.discard(model)
    else:
        _NO_SUPERUSER_BYPASS.add(model)


def visible(user: Any, qs: models.QuerySet[M]) -> models.QuerySet[M]:
    """Narrow ``qs`` to the rows ``user`` may see."""
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser and qs.model not in _NO_SUPERUSER_BYPASS:
        return qs
    rule = _VISIBILITY.get(qs.model)
    if rule is None:
        raise LookupError(f"No visibility rule for {qs.model.__name__}")
    return rule(user, qs)


# --- actions --------------------------------------------------------------------------------------


def _can_on_organization(user: Any, action: str, org: Organization) -> bool:
    if action == Action.VIEW:
        return True  # visibility was checked already
    admin_paths = _scope_paths(user, {Role.ADMIN})
    if action in {Action.CHANGE, Action.MOVE}:
        # An administrator manages the units below theirs; their own unit is changed from above.
        return any(org.path.startswith(p) and org.path != p for p in admin_paths) or (
            action == Action.CHANGE and _covered(org.path, admin_paths)
        )
    if action in {Action.ADD_CHILD, Action.IMPORT, Action.MANAGE_PEOPLE}:
        return _covered(org.path, admin_paths)
    return False


def _can_on_user(user: Any, action: str, person: User) -> bool:
    if action == Action.VIEW:
        return True
    if action == Action.CHANGE:
        if person.pk == user.pk:
            return True
        admin_paths = _scope_paths(user, {Role.ADMIN})
        org_paths = Membership.objects.filter(user=person).values_list("organization__path", flat=True)
        return bool(admin_paths) and any(_covered(p, admin_paths) for p in org_paths)
    return False


_ACTIONS: dict[type[models.Model], Callable[[Any, str, Any], bool]] = {
    Organization: _can_on_organization,
    User: _can_on_user,
}


def register_actions(model: type[models.Model], rule: Callable[[Any, str, Any], bool]) -> None:
    _ACTIONS[model] = rule


def is_visible(user: Any, obj: models.Model, *, fresh: bool = False) -> bool:
    """Whether ``user`` may see ``obj``. With ``fresh=True`` (``obj`` was just read from the database,
    on the write path under a row lock, and not changed since) the model's in-hand test may answer
    first, saving a query; an object built or changed in memory must never be passed that way."""
    if fresh:
        in_hand = _IN_HAND.get(type(obj))
        if in_hand is not None and in_hand(user, obj):
            return True
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can(user: Any, action: str, obj: models.Model) -> bool:
    """Whether ``user`` may do ``action`` to ``obj`` (visibility included)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    rule = _ACTIONS.get(type(obj))
    if rule is None:
        raise LookupError(f"No action rule for {type(obj).__name__}")
    return is_visible(user, obj) and rule(user, action, obj)


def allowed(user: Any, action: str, objs: Iterable[M]) -> list[M]:
    """The objects among ``objs`` that ``user`` may do ``action`` to, asking the database once.

    For pages that offer a choice of many objects (e.g. the units a unit may be moved under), where
    calling ``can`` for each would cost a visibility query per object.
    """
    items = list(objs)
    if not items or user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return items
    model = type(items[0])
    rule = _ACTIONS.get(model)
    if rule is None:
        raise LookupError(f"No action rule for {model.__name__}")
    # A long list of ids would make a long IN (...) (SQLite caps its parameters); for long lists, read the
    # visible ids instead, which are no more than the rows the caller already holds.
    candidates = (
        model._default_manager.filter(pk__in=[o.pk for o in items])
        if len(items) <= ALLOWED_IN_LIMIT
        else model._default_manager.all()
    )
    seen = set(visible(user, candidates).values_list("pk", flat=True))
    return [o for o in items if o.pk in seen and rule(user, action, o)]


def require(user: Any, action: str, obj: models.Model, *, fresh: bool = False) -> None:
    """Raise NotFound if ``user`` may not see ``obj``, NotAllowed if they may see it but not do ``action``.

    ``fresh=True`` says ``obj`` was just read from the database and not changed (see ``is_visible``)."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotFound(_("Not found."))
    if user.is_superuser:
        return
    if not is_visible(user, obj, fresh=fresh):
        raise NotFound(_("Not found."))
    rule = _ACTIONS.get(type(obj))
    if rule is None:
        raise LookupError(f"No action rule for {type(obj).__name__}")
    if not rule(user, action, obj):
        raise NotAllowed(_("You are not allowed to do this."))


def can_administer_anything(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _scope_paths(user, {Role.ADMIN})))


# --- separation of duties -------------------------------------------------------------------------
# The three duties are checked here and nowhere else. None of these asks ``is_superuser``: a superuser
# counts as the system administrator (``duty_of``) and has no power that belongs to the other two.


def can_view_audit(user: Any) -> bool:
    """Only the audit administrator reads the whole audit trail, verifies it and signs checkpoints.

    Others still read the history of an object they may see (a task's timeline, a person's changes):
    those pages ask ``luoshi.audit.selectors.events_for_object`` after their own visibility check.
    """
    return bool(user is not None and user.is_authenticated and holds(user, Duty.AUDIT))


def can_manage_duties(user: Any) -> bool:
    """Whether ``user`` may grant and revoke duties at all (to others: see ``can_grant_duty``)."""
    return bool(user is not None and user.is_authenticated and holds(user, Duty.SECURITY))


def can_grant_duty(user: Any, person: Any) -> bool:
    """The security administrator grants and revokes duties, never their own."""
    return can_manage_duties(user) and person.pk != user.pk


def can_manage_account_security(user: Any, person: Any) -> bool:
    """Resetting an account or its second factor, ending its sessions, unlocking it: the security
    administrator's, for anyone but themselves (their own account is another security administrator's)."""
    return can_grant_duty(user, person)


def can_manage_person(user: Any, person: Any) -> bool:
    """Whether ``user`` may change ``person``'s posts (roles) and whether the account is active.

    Never one's own, superusers included: nobody grants themselves a role. Otherwise the administrator
    of a unit where the person holds a post (the system administrator administers every unit).
    """
    if user is None or not user.is_authenticated or person.pk == user.pk:
        return False
    return can(user, Action.CHANGE, person)


def require_person_manager(user: Any, person: Any) -> None:
    """``can_manage_person`` or ``NotAllowed`` with the reason in words."""
    if person.pk == user.pk:
        raise NotAllowed(_("Nobody may change their own roles or deactivate their own account."))
    if not can_manage_person(user, person):
        raise NotAllowed(_("Only an administrator of this person's unit may change that."))
