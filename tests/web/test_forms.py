"""The pages' drop-downs (``luoshi.web.forms.Select``) are drawn in Python instead of a template per option:
the HTML must be what Django's own templates give, character for character."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from luoshi.web.forms import Select, SelectWithDisabled

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
