"""Patterns for input fields that several operations share, so the document says what is accepted.

A rule a service enforces on a field's form belongs in the schema too: clients see it in the document,
and bad input is refused by the API layer with the field named, before any service runs.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated

from django.utils.translation import gettext_lazy as _
from pydantic import WithJsonSchema

# Text that must say something: at least one character that is not white space (services strip input).
NOT_BLANK = r"\S"

# A search query: at least one letter, digit or Chinese character (punctuation alone finds nothing).
SEARCHABLE = r"[^\W_]"

# A reporting period (``luoshi.evaluation.periods.Period.parse``): ISO week ``2022-W39``, quarter
# ``2022-Q3``, month ``2022-09`` or year ``2022``.
PERIOD = r"^[1-9][0-9]{3}(-([Ww](0?[1-9]|[1-4][0-9]|5[0-3])|[Qq][1-4]|(0?[1-9]|1[0-2])))?$"
PERIOD_EXAMPLES = "e.g. 2022-W39, 2022-09, 2022-Q3 or 2022"

# A clock time such as 22:00 or 07:30:00. Pydantic documents ``time`` as ``format: time``, which in
# OpenAPI (RFC 3339) requires a UTC offset; Luoshi's clock times are local and answered without one.
# An offset is accepted on input and dropped by the operations that take one.
CLOCK_TIME = (
    r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$"
)
ClockTime = Annotated[time, WithJsonSchema({"type": "string", "pattern": CLOCK_TIME, "example": "22:00"})]

# What to tell people whose input does not match one of these patterns, in the words the services use
# for the same rule (so their translations apply); ``%(value)s`` is what was sent.
PATTERN_MESSAGES = {
    NOT_BLANK: _("This field cannot be blank."),
    SEARCHABLE: _("Search for letters, digits or Chinese characters, not only punctuation."),
    PERIOD: _("“%(value)s” is not a period; write e.g. 2022-W39, 2022-09, 2022-Q3 or 2022."),
}
