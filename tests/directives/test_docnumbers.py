"""Document numbers are stored in their official form whatever brackets were typed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from luoshi.directives.docnumbers import normalize_doc_number, validate_doc_number


@pytest.mark.parametrize(
    "typed",
    [
        "鞍政办发〔2022〕12号",
        "鞍政办发[2022]12号",
        "鞍政办发(2022)12号",
        "鞍政办发（2022）12号",
        "鞍政办发【2022】12号",
        "鞍政办发［２０２２］１２号",
        " 鞍政办发 〔2022〕 012 号 ",
        "鞍政办发〔2022〕第12号",
        "鞍政办发[2022]12",
    ],
)
def test_spellings_normalize_to_the_official_form(typed):
    assert normalize_doc_number(typed) == "鞍政办发〔2022〕12号"


def test_empty_stays_empty():
    assert normalize_doc_number("  ") == ""


@pytest.mark.parametrize(
    "typed",
    [
        "鞍政办发2022年12号",
        "〔2022〕12号",
        "鞍政办发〔22〕12号",
        "鞍政办发〔2022〕0号",
        "鞍政办发〔1800〕3号",
    ],
)
def test_malformed_numbers_are_refused(typed):
    with pytest.raises(ValidationError):
        normalize_doc_number(typed)


def test_the_model_validator_wants_the_official_form():
    validate_doc_number("国发〔2024〕7号")
    with pytest.raises(ValidationError):
        validate_doc_number("国发[2024]7号")
