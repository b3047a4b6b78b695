"""Page URLs, all in the ``web`` namespace (see docs/CONTRACTS-WIP.md for the list other parts rely on)."""

from django.urls import path

from luoshi.web.views import audit, auth, health, home, organizations, people

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    path("health", health.health, name="health"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("language/", auth.language_view, name="language"),
    path("organizations/", organizations.organization_list, name="organization_list"),
    path("organizations/import/", organizations.organization_import, name="organization_import"),
    path(
        "organizations/import/template.xlsx",
        organizations.organization_import_template,
        name="organization_import_template",
    ),
    path("organizations/<int:pk>/", organizations.organization_detail, name="organization_detail"),
    path("organizations/<int:pk>/edit/", organizations.organization_edit, name="organization_edit"),
    path(
        "organizations/<int:pk>/new-child/",
        organizations.organization_new_child,
        name="organization_new_child",
    ),
    path("organizations/<int:pk>/move/", organizations.organization_move, name="organization_move"),
    path("people/", people.person_list, name="person_list"),
    path("people/new/", people.person_new, name="person_new"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", people.person_edit, name="person_edit"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
]
