"""Task page URLs, included from ``web/urls.py`` under ``tasks/`` into the ``web`` namespace.

No ``app_name`` here on purpose: the patterns join the including module's namespace, so their names are
``web:task_detail``, ``web:task_action``, ``web:task_report`` and ``web:task_decompose``.
"""

from django.urls import path

from luoshi.web.views import task_detail

urlpatterns = [
    path("<int:pk>/", task_detail.task_detail, name="task_detail"),
    path("<int:pk>/report/", task_detail.task_report, name="task_report"),
    path("<int:pk>/decompose/", task_detail.task_decompose, name="task_decompose"),
    path("<int:pk>/<slug:action>/", task_detail.task_action, name="task_action"),
]
