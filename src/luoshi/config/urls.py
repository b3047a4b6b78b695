"""Top-level URLs: pages, the API and its OpenAPI document, health."""

from django.urls import include, path

from luoshi.api.urls import api

urlpatterns = [
    path("api/", api.urls),
    # Evidence downloads, each checked against who may see the task (there is no route to MEDIA_URL).
    path("evidence/", include("luoshi.evidence.urls")),
    # Sign-in security: the second step, authenticator apps, passwords, sessions (luoshi.accounts).
    path("account/", include("luoshi.accounts.urls")),
    path("", include("luoshi.web.urls")),
]

# Error pages in the user's language that say what happened and leak nothing (luoshi.web.views.errors).
handler400 = "luoshi.web.views.errors.bad_request"
handler403 = "luoshi.web.views.errors.permission_denied"
handler404 = "luoshi.web.views.errors.page_not_found"
handler500 = "luoshi.web.views.errors.server_error"
