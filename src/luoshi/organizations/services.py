"""Writes to the organisation tree and the people in it. Each function is one use case, atomic, audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import trees
from luoshi.core.errors import NotAllowed, ValidationFailed
from luoshi.core.validation import check_version, snapshot, validate_model
from luoshi.organizations.models import (
    LanguageChoice,
    Membership,
    Organization,
    OrganizationKind,
    Role,
    User,
)

ORG_FIELDS = ("name", "short_name", "kind", "region_code", "duties", "sort_order", "is_active")
PERSON_FIELDS = ("display_name", "email", "phone", "id_number", "language", "is_active")


@transaction.atomic
def organization_create(
    *,
    actor: Any,
    parent: Organization | None,
    name: str,
    kind: str,
    short_name: str = "",
    region_code: str | None = None,
    duties: str = "",
    sort_order: int = 0,
) -> Organization:
    org = Organization(
        parent=parent,
        name=name.strip(),
        kind=kind,
        short_name=short_name.strip(),
        region_code=(region_code or "").strip() or None,
        duties=duties,
        sort_order=sort_order,
        # A temporary unique path; the real one is made of ids, so it needs this row's id first.
        path=f"~{uuid.uuid4().hex}",
    )
    validate_model(org, exclude=["path"])
    org.save()
    org.path = trees.child_path(parent.path if parent else "", org.pk)
    org.depth = trees.depth_of(org.path)
    Organization.objects.filter(pk=org.pk).update(path=org.path, depth=org.depth)
    audit.record(
        actor=actor,
        action="organization.create",
        obj=org,
        changes={"after": snapshot(org, ORG_FIELDS), "parent": parent.pk if parent else None},
    )
    return org


@transaction.atomic
def organization_update(
    *, actor: Any, org: Organization, version: int | None, **changes: Any
) -> Organization:
    locked = Organization.objects.select_for_update().get(pk=org.pk)
    check_version(locked, version)
    before = snapshot(locked, ORG_FIELDS)
    for field, value in changes.items():
        if field not in ORG_FIELDS:
            raise ValueError(f"organization_update cannot change {field}")
        if field == "region_code":
            value = (value or "").strip() or None
        elif isinstance(value, str):
            value = value.strip()
        setattr(locked, field, value)
    validate_model(locked)
    after = snapshot(locked, ORG_FIELDS)
    changed = audit.diff(before, after)
    if not changed:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action="organization.update", obj=locked, changes=changed)
    return locked


@transaction.atomic
def organization_move(
    *, actor: Any, org: Organization, new_parent: Organization, version: int | None = None
) -> Organization:
    """Put ``org`` (and its whole subtree) under ``new_parent``; refuses to make a cycle."""
    locked = Organization.objects.select_for_update().get(pk=org.pk)
    check_version(locked, version)
    new_parent = Organization.objects.get(pk=new_parent.pk)
    if new_parent.is_in_subtree_of(locked):
        raise ValidationFailed(
            _("A unit cannot be moved under itself or under one of its own sub-units."),
            fields={"parent": [_("Choose a unit outside the subtree of %(name)s.") % {"name": locked.name}]},
        )
    if locked.parent_id == new_parent.pk:
        return locked
    if Organization.objects.filter(parent=new_parent, name=locked.name).exists():
        raise ValidationFailed(
            _("%(parent)s already has a unit named %(name)s.")
            % {"parent": new_parent.name, "name": locked.name},
            fields={"parent": [_("A unit with this name already exists there.")]},
        )
    old_path = locked.path
    new_path = trees.child_path(new_parent.path, locked.pk)
    depth_change = trees.depth_of(new_path) - trees.depth_of(old_path)
    old_parent_id = locked.parent_id
    # One statement rewrites the whole subtree: new prefix + the part of each path below the old prefix.
    Organization.objects.filter(trees.subtree_q("path", old_path)).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_change,
    )
    # Tasks carry their lead unit's path; imported here because tasks sit above organisations.
    from luoshi.tasks.services import on_organization_moved

    on_organization_moved(old_prefix=old_path, new_prefix=new_path)
    from luoshi.search.services import on_organization_moved as search_on_organization_moved

    search_on_organization_moved(old_prefix=old_path, new_prefix=new_path)
    from luoshi.summaries.triggers import on_organization_moved as summaries_on_organization_moved

    summaries_on_organization_moved(old_prefix=old_path, new_prefix=new_path)
    Organization.objects.filter(pk=locked.pk).update(parent=new_parent, version=F("version") + 1)
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action="organization.move",
        obj=locked,
        changes={"parent": [old_parent_id, new_parent.pk], "path": [old_path, new_path]},
    )
    return locked


@transaction.atomic
def organization_change(
    *,
    actor: Any,
    org: Organization,
    version: int | None,
    new_parent: Organization | None = None,
    **changes: Any,
) -> Organization:
    """Change fields and, given ``new_parent``, move the unit: one version check, all of it or none."""
    org = organization_update(actor=actor, org=org, version=version, **changes)
    if new_parent is not None:
        # The update may have moved the version on; the caller's version was checked against it above.
        org = organization_move(actor=actor, org=org, new_parent=new_parent, version=org.version)
    return org


# --- people ---------------------------------------------------------------------------------------


@transaction.atomic
def person_create(
    *,
    actor: Any,
    username: str,
    display_name: str,
    password: str | None,
    email: str = "",
    phone: str = "",
    language: str = "",
    memberships: list[tuple[Organization, str, str]] | None = None,
    password_hash: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a person with their roles: ``memberships`` is a list of (organisation, role, post).

    ``password_hash`` (a ``make_password`` result) stands in for ``password`` when one already validated
    and hashed password is shared by many people, as in the demo city: hashing costs ~0.3 s each.
    ``is_superuser`` is for the first administrator of an installation only.
    """
    person = User(
        username=username.strip(),
        display_name=display_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        language=language,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password_hash:
        person.password = password_hash
    elif password:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, person)
        except ValidationError as exc:
            raise ValidationFailed(
                _("Please correct the marked fields."), fields={"password": exc.messages}
            ) from exc
        person.set_password(password)
    else:
        person.set_unusable_password()
    validate_model(person, exclude=["password"])
    try:
        person.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"username": [_("This username is taken.")]}
        ) from exc
    _replace_memberships(person, memberships or [])
    audit.record(
        actor=actor,
        action="person.create",
        obj=person,
        changes={
            "after": snapshot(person, PERSON_FIELDS)
            | {"username": person.username}
            | ({"is_superuser": True} if is_superuser else {}),
            "memberships": _membership_summary(person),
        },
    )
    return person


@transaction.atomic
def person_update(
    *,
    actor: Any,
    person: User,
    version: int | None,
    memberships: list[tuple[Organization, str, str]] | None = None,
    **changes: Any,
) -> User:
    locked = User.objects.select_for_update().get(pk=person.pk)
    check_version(locked, version)
    before = snapshot(locked, PERSON_FIELDS)
    before_memberships = _membership_summary(locked)
    for field, value in changes.items():
        if field not in PERSON_FIELDS:
            raise ValueError(f"person_update cannot change {field}")
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    validate_model(locked, exclude=["password"])
    if memberships is not None:
        if (
            actor is not None
            and getattr(actor, "pk", None) == locked.pk
            and not _same_posts(locked, memberships)
        ):
            # Separation of duties: nobody grants themselves a post (or a role), whatever the way in.
            raise NotAllowed(_("You cannot change your own posts; ask an administrator."))
        _replace_memberships(locked, memberships)
    changed = audit.diff(before, snapshot(locked, PERSON_FIELDS))
    after_memberships = _membership_summary(locked)
    if after_memberships != before_memberships:
        changed["memberships"] = [before_memberships, after_memberships]
    if not changed:
        return locked
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    audit.record(actor=actor, action="person.update", obj=locked, changes=changed)
    if before["is_active"] and not locked.is_active:
        # A deactivated person is signed out everywhere now, not at their sessions' next request.
        from luoshi.accounts.services import sessions_end_deactivated

        sessions_end_deactivated(actor=actor, person=locked)
    return locked


@transaction.atomic
def person_set_password(*, actor: Any, person: User, password: str) -> None:
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, person)
    except ValidationError as exc:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"password": exc.messages}
        ) from exc
    person.set_password(password)
    person.save(update_fields=["password"])
    audit.record(actor=actor, action="person.set_password", obj=person)


def _replace_memberships(person: User, memberships: list[tuple[Organization, str, str]]) -> None:
    seen: set[tuple[int, str]] = set()
    rows: list[Membership] = []
    for org, role, title in memberships:
        if role not in Role.values:
            raise ValidationFailed(
                _("Please correct the marked fields."), fields={"role": [_("Unknown role.")]}
            )
        if (org.pk, role) in seen:
            continue
        seen.add((org.pk, role))
        rows.append(Membership(user=person, organization=org, role=role, title=title, is_primary=not rows))
    Membership.objects.filter(user=person).delete()
    Membership.objects.bulk_create(rows)


def _same_posts(person: User, memberships: list[tuple[Organization, str, str]]) -> bool:
    """Whether ``memberships`` hold the same units and roles as the person has (titles aside)."""
    return {f"{org.pk}:{role}" for org, role, _title in memberships} == set(_membership_summary(person))


def _membership_summary(person: User) -> list[str]:
    return sorted(
        f"{org_id}:{role}"
        for org_id, role in Membership.objects.filter(user=person).values_list("organization_id", "role")
    )


def default_kind_for_child(parent: Organization | None) -> str:
    if parent is None:
        return OrganizationKind.GOVERNMENT
    return {
        OrganizationKind.GOVERNMENT: OrganizationKind.DEPARTMENT,
        OrganizationKind.DISTRICT: OrganizationKind.TOWNSHIP,
        OrganizationKind.TOWNSHIP: OrganizationKind.COMMUNITY,
    }.get(OrganizationKind(parent.kind), OrganizationKind.DEPARTMENT)


@transaction.atomic
def person_set_language(*, actor: Any, person: User, language: str) -> User:
    """Remember the language ``person`` reads Luoshi in (empty: follow the browser)."""
    if language not in LanguageChoice.values:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"language": [_("Unknown language.")]}
        )
    locked = User.objects.select_for_update().get(pk=person.pk)
    if locked.language == language:
        return locked
    before = locked.language
    locked.language = language
    locked.version = F("version") + 1
    locked.save(update_fields=["language", "version"])
    locked.refresh_from_db()
    audit.record(
        actor=actor, action="person.set_language", obj=locked, changes={"language": [before, language]}
    )
    return locked
