"""Sign-in security pages, in the ``accounts`` namespace under ``/account/``."""

from django.urls import path

from luoshi.accounts import views

app_name = "accounts"
urlpatterns = [
    path("second-step/", views.second_step, name="second_step"),
    path("two-factor/setup/", views.enrol, name="enrol"),
    path("two-factor/recovery-codes/", views.recovery_codes_renew, name="recovery_codes_renew"),
    path("security/", views.security, name="security"),
    path("sessions/<int:pk>/end/", views.session_end, name="session_end"),
    path("sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("password/", views.password_change, name="password_change"),
    path("people/", views.people_security, name="people"),
    path("people/<int:pk>/", views.person_security, name="person_security"),
    path(
        "people/<int:pk>/reset-second-factor/",
        views.person_second_factor_reset,
        name="person_second_factor_reset",
    ),
    path("people/<int:pk>/end-sessions/", views.person_sessions_end, name="person_sessions_end"),
    path("sessions/end-everyone/", views.sessions_end_everyone, name="sessions_end_everyone"),
]
