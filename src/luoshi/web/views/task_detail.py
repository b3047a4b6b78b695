"""The task page: everything about one task, and a form for each action the reader may take on it.

GET ``/tasks/<id>/`` draws the page; POST ``/tasks/<id>/<action>/`` (and ``report/``, ``decompose/``) takes
one action through its service. A task the reader may not see is "not found"; an action they may not take
is "forbidden", and nothing changes. After an action, htmx requests get the page's panels back (the
forms swap them in place), other requests a redirect to the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from luoshi.core import workdays
from luoshi.core.errors import LuoshiError
from luoshi.tasks.models import Task
from luoshi.web.forms import apply_errors
from luoshi.web.shortcuts import authorize
from luoshi.web.views.task_forms import TaskForm
from luoshi.web.views.task_page import Failure, load_task, render_page, situation_of
from luoshi.web.views.task_specs import BY_KEY, Call, Spec

STALE = gettext_lazy(
    "Someone else changed this task while you were working on it. The page now shows its current state; "
    "your entry is kept below. Check it, then send it again."
)
FILES_AGAIN = gettext_lazy("Nothing was saved: choose the files again.")


def _visible_or_404(request: HttpRequest, pk: int) -> Task:
    task = load_task(request.user, pk)
    if task is None:
        raise Http404
    return task


@require_safe
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_page(request, _visible_or_404(request, pk))


@require_POST
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    spec = BY_KEY.get(action)
    # Report and decompose have URLs of their own.
    if spec is None or spec.key in {"report", "decompose"}:
        # The same answer whether or not the task exists or is visible: ids and actions leak nothing.
        _visible_or_404(request, pk)
        raise Http404
    return _perform(request, pk, spec)


@require_POST
def task_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _perform(request, pk, BY_KEY["report"])


@require_POST
def task_decompose(request: HttpRequest, pk: int) -> HttpResponse:
    return _perform(request, pk, BY_KEY["decompose"])


def _perform(request: HttpRequest, pk: int, spec: Spec) -> HttpResponse:
    user = request.user
    task = _visible_or_404(request, pk)
    authorize(user, spec.permission, task)
    situation = situation_of(user, task, workdays.today())
    form = spec.make_form(situation, request.POST, request.FILES)
    if not form.is_valid():
        return render_page(request, task, failure=Failure(spec.key, form), status=422)
    try:
        spec.run(Call(user=user, task=task, data=form.cleaned_data, situation=situation))  # type: ignore[arg-type]
    except LuoshiError as exc:
        return _refused(request, spec, form, exc)
    done = str(spec.done)
    fresh = load_task(user, pk)
    htmx = getattr(request, "htmx", None)
    if fresh is None:
        # The action took the task out of the reader's sight (e.g. a transfer to a unit they do not see).
        messages.success(request, done)
        return HttpResponseClientRedirect("/") if htmx else redirect("web:home")
    if htmx:
        return render_page(request, fresh, done=done)
    messages.success(request, done)
    return redirect("web:task_detail", pk=fresh.pk)


def _refused(request: HttpRequest, spec: Spec, form: TaskForm, exc: LuoshiError) -> HttpResponse:
    """Show the page as it is now, with the person's input and the reason it was not taken."""
    user = request.user
    current = load_task(user, form.task.pk)
    if current is None:
        raise Http404
    read = form.cleaned_data["version"]
    stale = current.version != read
    data = request.POST.copy()
    if stale:
        # Sending it again is then a deliberate choice about the task as it is now.
        data["version"] = str(current.version)
    situation = situation_of(user, current, workdays.today())
    again = spec.make_form(situation, data)
    again.is_valid()
    if stale:
        again.add_error(None, str(STALE))
    else:
        apply_errors(again, exc)
    if request.FILES and "files" in again.fields and "files" not in exc.fields:
        again.add_error("files", str(FILES_AGAIN))
    status = 409 if stale else exc.status
    return render_page(request, current, failure=Failure(spec.key, again, stale=stale), status=status)
