"""The Ninja API: one instance, its authentication, its error shape, and the routers of each app.

Mounted at ``/api/`` by ``luoshi.config.urls``: operations under ``/api/v1/``, the OpenAPI document at
``/api/openapi.json`` (public, so clients can be generated before anyone has an account) and the
interactive documentation at ``/api/docs`` (signed-in people only; swagger-ui comes from the ninja
package's own static files, as intranets have no CDN).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router

from luoshi.api import errors
from luoshi.api.auth import router as auth_router
from luoshi.api.security import LoginRequiredSwagger, session_auth, token_auth
from luoshi.core.errors import NotFound
from luoshi.organizations.api import people_router
from luoshi.organizations.api import router as organizations_router

api = NinjaAPI(
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

# The audit endpoints are written alongside; mounted once the module exists. Only the module itself
# being absent is tolerated: an import error inside it must surface.
try:
    from luoshi.audit.api import router as audit_router
except ModuleNotFoundError as exc:
    if exc.name != "luoshi.audit.api":
        raise
else:
    api.add_router("/v1/audit", audit_router)


# Unknown paths under /api/ answer in the API's error shape, after authentication so that anonymous
# callers learn nothing about which paths exist. Mounted last: Django tries URL patterns in order.
fallback_router = Router()


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> None:
    raise NotFound(_("There is no such API path."))


api.add_router("", fallback_router)
