"""Page URLs, all in the ``web`` namespace (see docs/CONTRACTS-WIP.md for the list other parts rely on)."""

from django.urls import include, path

from luoshi.web.views import (
    audit,
    auth,
    directives,
    health,
    home,
    ledger,
    mywork,
    organizations,
    people,
    search,
)

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
    # Task lists (My work, the ledger, directives, search).
    path("my-work/", mywork.mywork, name="mywork"),
    path("ledger/", ledger.ledger, name="ledger"),
    path("ledger/export.xlsx", ledger.ledger_export, name="ledger_export"),
    path("directives/", directives.directive_list, name="directive_list"),
    path("directives/new/", directives.directive_new, name="directive_new"),
    path("directives/<int:pk>/", directives.directive_detail, name="directive_detail"),
    path("directives/<int:pk>/clauses/new/", directives.clause_new, name="clause_new"),
    path("directives/<int:pk>/clauses/<int:cid>/tasks/new/", directives.task_new, name="task_new"),
    path("search/", search.search, name="search"),
    path("tasks/", include("luoshi.web.task_urls")),
]
