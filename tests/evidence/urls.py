"""The site's URLs plus the evidence API router on an API of its own, as the API worker will mount it
(``/api/v1/evidence``), so the endpoints are tested through HTTP with Luoshi's authentication and errors."""

from django.urls import path
from ninja import NinjaAPI

from luoshi.api import errors
from luoshi.api.security import session_auth, token_auth
from luoshi.config.urls import urlpatterns as site_urlpatterns
from luoshi.evidence.api import router

api = NinjaAPI(urls_namespace="evidence-test-api", auth=[token_auth, session_auth], docs_url=None)
errors.install(api)
api.add_router("/v1/evidence", router)

urlpatterns = [path("api/", api.urls), *site_urlpatterns]
