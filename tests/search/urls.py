"""The search router mounted on an API of its own, so that its tests do not depend on where the main API
mounts it (``/api/v1/search`` in ``luoshi.api.urls``)."""

from django.urls import path
from ninja import NinjaAPI

from luoshi.api import errors
from luoshi.api.security import session_auth, token_auth
from luoshi.search.api import router

api = NinjaAPI(urls_namespace="search-tests", auth=[token_auth, session_auth], docs_url=None)
errors.install(api)
api.add_router("/v1/search", router, url_name_prefix="search-tests")

urlpatterns = [path("api/", api.urls)]
