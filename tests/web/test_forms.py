"""The pages' drop-downs (``luoshi.web.forms.Select``), inputs (``QuickInput``) and fields (``field_html``)
are drawn in Python instead of templates: the HTML must be what the templates give, character for
character."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from luoshi.web.forms import HiddenInput, Select, SelectWithDisabled, TextInput, field_html
from luoshi.web.tasklist_forms import DateInput

CHOICES = [
    ("", "所有单位"),
    ("1", "鞍山市人民政府"),
    ("2", "\u3000铁西区 <b>&amp;</b> \"引号\" 'x'"),
    (3, "数字值"),
    ("4", gettext_lazy("All lights")),
    # Labels marked safe stay as they are.
    ("5", mark_safe("<i>safe</i>")),
    ("a&b", "值要转义"),
]


def _django_select(widget_class: type[forms.Select], **kwargs):
    """The same widget drawn by Django's templates."""

    class Templated(widget_class):  # type: ignore[misc,valid-type]
        render = forms.Select.render

    return Templated(**kwargs)


@pytest.mark.parametrize("value", [None, "", "1", 3, "a&b", ["1", "2"], "missing"])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_org"}, {"id": "x", "required": True, "disabled": False, "data-x": '"q" & <>'}],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_select_draws_what_the_templates_draw(value, attrs, language):
    with override(language):
        for quick, templated in [
            (Select(choices=CHOICES), _django_select(Select, choices=CHOICES)),
            (
                SelectWithDisabled(choices=CHOICES, disabled_values={"2", "a&b"}),
                _django_select(SelectWithDisabled, choices=CHOICES, disabled_values={"2", "a&b"}),
            ),
            (
                Select(choices=CHOICES, attrs={"size": 8}),
                _django_select(Select, choices=CHOICES, attrs={"size": 8}),
            ),
        ]:
            assert quick.render("org", value, attrs) == templated.render("org", value, attrs)


def test_groups_and_labels_that_are_not_text_are_left_to_the_templates():
    grouped = [("单位", [("1", "甲"), ("2", "乙")]), ("3", "丙")]
    numbers = [("1", 1000), ("2", 2.5)]
    for choices in (grouped, numbers):
        quick, templated = Select(choices=choices), _django_select(Select, choices=choices)
        assert quick.render("x", "1") == templated.render("x", "1")


def test_an_empty_select_is_drawn_alike():
    assert Select(choices=[]).render("x", None) == _django_select(Select, choices=[]).render("x", None)


def _templated(widget_class: type[forms.Input], **kwargs):
    """The same input drawn by Django's templates."""

    class Templated(widget_class):  # type: ignore[misc,valid-type]
        render = forms.Widget.render

    return Templated(**kwargs)


VALUES = [None, "", "x", "<b>\"q\" & 'x'</b>", mark_safe("<i>safe</i>"), 3, date(2024, 6, 28)]
ATTRS = [
    None,
    {"id": "id_q"},
    {"id": "x", "required": True, "disabled": False, "placeholder": gettext_lazy("Text")},
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize("widget_class", [TextInput, HiddenInput, DateInput])
def test_inputs_draw_what_the_templates_draw(widget_class, value, attrs):
    for language in ("en", "zh-hans"):
        with override(language):
            kwargs = {"attrs": {"type": "search", "maxlength": 100}} if widget_class is TextInput else {}
            quick, templated = widget_class(**kwargs), _templated(widget_class, **kwargs)
            assert quick.render("q", value, attrs) == templated.render("q", value, attrs)


class FieldsForm(forms.Form):
    text = forms.CharField(label="Text <&>", max_length=10)
    optional = forms.CharField(label=gettext_lazy("Text"), required=False, help_text="Help <b>&</b>")
    marked = forms.CharField(label="Marked", required=False, help_text=mark_safe("<i>Safe help</i>"))
    check = forms.BooleanField(label="Check", required=False)
    required_check = forms.BooleanField(label="Required check", help_text="Tick it")
    choice = forms.ChoiceField(label="Choice", choices=[("", "All"), ("a", "A & B")], widget=Select)
    when = forms.DateField(label="When", required=False, widget=DateInput)
    hidden = forms.CharField(required=False, widget=HiddenInput)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": "ok", "required_check": "on", "choice": "a", "when": "2024-06-28", "hidden": "h"},
        {"text": "far too long for it", "choice": "zzz", "when": "not a date", "hidden": '"<>'},
    ],
)
@pytest.mark.parametrize("required_attribute", [True, False])
def test_fields_draw_what_the_field_template_draws(data, required_attribute):
    for language in ("en", "zh-hans"):
        with override(language):
            form = FieldsForm(data, use_required_attribute=required_attribute)
            form.is_valid()
            for name in form.fields:
                templated = render_to_string("web/_field.html", {"field": form[name]})
                assert field_html(form[name]) == templated, name
