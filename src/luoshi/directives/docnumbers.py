"""Document numbers (发文字号) in their official form: issuer code, year in 〔〕, serial, 号.

People type them with whatever brackets their keyboard gives: ``鞍政办发[2022]12号``, ``(2022)``,
``（2022）``, ``【2022】``, full-width digits, a stray space or ``第``. All of them are stored as
``鞍政办发〔2022〕12号`` (GB/T 9704-2012 §7.2.3: hexagonal brackets, no leading zeros, no 第), so that the
same document is never registered twice under two spellings.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

OPENING = "[(〔【［（"
CLOSING = "])〕】］）"
_PATTERN = re.compile(
    rf"^(?P<issuer>[\u3400-\u9fffA-Za-z]+)[{re.escape(OPENING)}](?P<year>\d{{4}})[{re.escape(CLOSING)}]"
    r"第?(?P<serial>\d+)号?$"
)
EARLIEST_YEAR = 1949
LATEST_YEAR = 2100


def normalize_doc_number(text: str) -> str:
    """The official form of ``text``; empty stays empty. Raises ``ValidationError`` when it is not one."""
    # NFKC turns full-width digits and ASCII-compatible brackets into their plain forms; 〔〕 and 【】 stay.
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    if not compact:
        return ""
    match = _PATTERN.match(compact)
    if match is None:
        raise ValidationError(
            _(
                "A document number looks like 鞍政办发〔2022〕12号: "
                "issuer code, year in brackets, serial number, 号."
            ),
            code="doc_number",
        )
    year = int(match["year"])
    serial = int(match["serial"])
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValidationError(_("The year in a document number must be a real year."), code="doc_number_year")
    if serial == 0:
        raise ValidationError(_("The serial of a document number starts at 1."), code="doc_number_serial")
    return f"{match['issuer']}〔{year}〕{serial}号"


def validate_doc_number(value: str) -> None:
    """Model-field validator: the stored value must already be in the official form."""
    if value and normalize_doc_number(value) != value:
        raise ValidationError(
            _("Write the document number in its official form, e.g. 鞍政办发〔2022〕12号."),
            code="doc_number_form",
        )
