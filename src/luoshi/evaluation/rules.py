"""Who may see and do what with schemes, evaluations and scores; registered into ``luoshi.access``.

Seeing: every signed-in person sees the schemes and the evaluations (the formula is public); in a table
they see the rows of the units and people they may see. Doing: the city's administrators edit schemes;
its supervisors and administrators compute evaluations (rules on the root of the tree, i.e. the city).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from luoshi.access import policy
from luoshi.evaluation.models import Evaluation, Scheme, Score
from luoshi.organizations.models import Organization, Role, User

ROOT_DEPTH_PATH = 10  # a root unit's path is one segment


def _everyone(user: Any, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
    return qs


def _visible_scores(user: Any, qs: models.QuerySet[Score]) -> models.QuerySet[Score]:
    orgs = policy.visible(user, Organization.objects.all()).values("pk")
    people = policy.visible(user, User.objects.all()).values("pk")
    return qs.filter(Q(organization_id__in=orgs) | Q(person_id__in=people))


def _city_role(user: Any, roles: set[str]) -> bool:
    return any(s.role in roles and len(s.path) == ROOT_DEPTH_PATH for s in policy.scopes_of(user))


def may_compute(user: Any) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or _city_role(user, {Role.SUPERVISOR, Role.ADMIN}))
    )


def may_edit_schemes(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _city_role(user, {Role.ADMIN})))


def _on_scheme(user: Any, action: str, scheme: Scheme) -> bool:
    return action == "view" or (action == "change" and may_edit_schemes(user))


def _on_evaluation(user: Any, action: str, evaluation: Evaluation) -> bool:
    return action == "view" or (action == "compute" and may_compute(user))


def _on_score(user: Any, action: str, score: Score) -> bool:
    return action == "view"


def register() -> None:
    policy.register_visibility(Scheme, _everyone)
    policy.register_visibility(Evaluation, _everyone)
    policy.register_visibility(Score, _visible_scores)
    policy.register_actions(Scheme, _on_scheme)
    policy.register_actions(Evaluation, _on_evaluation)
    policy.register_actions(Score, _on_score)
