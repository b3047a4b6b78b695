"""What the sections other apps add to the task page (urgings; closing criteria and look-backs) share:
their forms post to views of their own, which answer with the whole task page again (for htmx) or a
redirect back to it, and on bad input show the page with the failed form in place."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from luoshi.tasks.models import Task


def load_task(user: Any, pk: int) -> Task | None:
    # The task page imports the section modules, so its helpers are imported late.
    from luoshi.web.views.task_page import load_task as load

    return load(user, pk)


def render_page(request: HttpRequest, task: Task, **kwargs: Any) -> HttpResponse:
    from luoshi.web.views.task_page import render_page as render_task_page

    return render_task_page(request, task, **kwargs)


def task_or_404(request: HttpRequest, pk: int) -> Task:
    task = load_task(request.user, pk)
    if task is None:
        raise Http404
    return task


def done(request: HttpRequest, task_pk: int, text: str) -> HttpResponse:
    """The task page as it is now, with ``text`` as the confirmation."""
    fresh = task_or_404(request, task_pk)
    if getattr(request, "htmx", None):
        return render_page(request, fresh, done=text)
    messages.success(request, text)
    return redirect("web:task_detail", pk=task_pk)


def again(
    request: HttpRequest,
    task: Task,
    *,
    failed_attribute: str,
    kind: str,
    item_id: int | None,
    form: forms.Form,
    status: int,
) -> HttpResponse:
    """The task page again with the form that failed (kept on the request under ``failed_attribute``
    for the section to show with its errors)."""
    setattr(request, failed_attribute, (kind, item_id, form))
    return render_page(request, task_or_404(request, task.pk), status=status)
