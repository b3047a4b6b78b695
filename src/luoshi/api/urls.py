"""The Ninja API: one instance, its authentication, its error shape, and the routers of each app.

Mounted at ``/api/`` by ``luoshi.config.urls``: operations under ``/api/v1/``, the OpenAPI document at
``/api/openapi.json`` (public, so clients can be generated before anyone has an account) and the
interactive documentation at ``/api/docs`` (signed-in people only; swagger-ui comes from the ninja
package's own static files, as intranets have no CDN).
"""

from __future__ import annotations

import importlib

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from luoshi.api import errors
from luoshi.api.auth import router as auth_router
from luoshi.api.openapi import LuoshiNinjaAPI
from luoshi.api.security import LoginRequiredSwagger, session_auth, token_auth
from luoshi.core.errors import NotFound
from luoshi.directives import closure_api
from luoshi.directives.api import focus_areas_router
from luoshi.directives.api import router as directives_router
from luoshi.drafting.api import router as drafting_router
from luoshi.evaluation import api as evaluation_api
from luoshi.indicators import api as indicators_api
from luoshi.lookbacks import api as lookbacks_api
from luoshi.notifications import api as notifications_api
from luoshi.organizations.api import people_router
from luoshi.organizations.api import router as organizations_router
from luoshi.reports import api as bulletins_api
from luoshi.supervision import api as supervision_api
from luoshi.tasks.api import inbox_router, reports_router, requests_router
from luoshi.tasks.api import router as tasks_router
from luoshi.tasks.import_api import router as task_import_router

api = LuoshiNinjaAPI(
    title="Luoshi API",
    version="1",
    description="Directives, tasks, progress and supervision for every level of government.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=LoginRequiredSwagger(),
    # Every operation needs a token or a session unless it says otherwise (only POST /v1/auth/token).
    auth=[token_auth, session_auth],
)
errors.install(api)

api.add_router("/v1/auth", auth_router)
api.add_router("/v1/organizations", organizations_router)
api.add_router("/v1/people", people_router)
api.add_router("/v1/directives", directives_router)
api.add_router("/v1/directives/draft", drafting_router)
api.add_router("/v1/focus-areas", focus_areas_router)
api.add_router("/v1/tasks", tasks_router)
api.add_router("/v1/tasks/import", task_import_router)
api.add_router("/v1/requests", requests_router)
api.add_router("/v1/reports", reports_router)
api.add_router("/v1/inbox", inbox_router)
api.add_router("/v1/inbox/notifications", notifications_api.inbox_router)
api.add_router("/v1/notifications", notifications_api.router)
api.add_router("/v1/tasks", lookbacks_api.task_router)
api.add_router("/v1/lookbacks", lookbacks_api.router)
api.add_router("/v1/directives", closure_api.directive_router)
api.add_router("/v1/tasks", closure_api.task_router)
api.add_router("/v1/indicators", indicators_api.router)
api.add_router("/v1/dashboard", indicators_api.dashboard_router)
api.add_router("/v1/evaluations", evaluation_api.router)
api.add_router("/v1/rankings", evaluation_api.rankings_router)
api.add_router("/v1/bulletins", bulletins_api.router)
# Urgings (also under /v1/tasks/{id}/urgings) and the escalation rules.
api.add_router("/v1", supervision_api.router)

# Routers of apps written alongside are mounted once their module exists. Only the module itself being
# absent is tolerated: an import error inside it must surface.
for _module, _prefix in (
    ("luoshi.audit.api", "/v1/audit"),
    ("luoshi.evidence.api", "/v1/evidence"),
    ("luoshi.search.api", "/v1/search"),
):
    try:
        _app_api = importlib.import_module(_module)
    except ModuleNotFoundError as exc:
        if exc.name != _module:
            raise
    else:
        api.add_router(_prefix, _app_api.router)


# Unknown paths under /api/ answer in the API's error shape, after authentication so that anonymous
# callers learn nothing about which paths exist. Mounted last: Django tries URL patterns in order.
fallback_router = Router()


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> None:
    raise NotFound(_("There is no such API path."))


api.add_router("", fallback_router)
