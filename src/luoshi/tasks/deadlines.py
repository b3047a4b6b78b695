"""Reading the deadlines that task lists and directives write in words (完成时限).

Governments rarely write a date: they write "2022年底前", "9月30日前", "三季度末", "每季度", "长期坚持",
"by the end of the year" or "within 30 days". :func:`parse_deadline` turns such a cell into a
:class:`Deadline` (a date, a report cadence, an ongoing flag, or several of these) and says precisely when
it cannot; :func:`find_deadline` looks for one inside a longer sentence (the drafting help).

Pure: no database, no clock. Dates without a year are read against ``reference`` (the day the directive
was issued, or today): a month and day that already passed that year mean the next year, as a list
written in November that says "3月底前" means next March.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# Values of ``luoshi.tasks.models.ReportCadence`` (kept as strings so that this module stays pure).
WEEKLY, BIWEEKLY, MONTHLY, QUARTERLY = "weekly", "biweekly", "monthly", "quarterly"


@dataclass(frozen=True)
class Deadline:
    """What a deadline cell says: a due date, a report cadence, ongoing work, or a combination.

    ``due_on`` is None when the text gives no date (e.g. "每季度" or "长期坚持").
    """

    due_on: date | None = None
    cadence: str | None = None
    ongoing: bool = False

    def due_or_year_end(self, reference: date) -> date:
        """The due date, or for recurring and ongoing work the end of the reference year (the annual
        review is where such work is judged)."""
        return self.due_on or date(reference.year, 12, 31)


class UnreadableDeadline(ValueError):
    """The text names no date, period, cadence or ongoing work that can be read."""


# --- normalising the text -------------------------------------------------------------------------

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = r"[一二两三四五六七八九十〇零]+"


def _cn_to_int(text: str) -> int:
    """二十一 → 21, 十二 → 12, 三十 → 30, 一 → 1 (the numbers deadlines use: up to 99)."""
    if "十" in text:
        tens, _sep, units = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    value = 0
    for char in text:
        value = value * 10 + _CN_DIGITS[char]
    return value


def _normalise(text: str) -> str:
    """Full-width forms to ASCII, Chinese numerals before a date word to digits, lower case."""
    text = unicodedata.normalize("NFKC", text).lower()
    # 二〇二二年 → 2022年 (a year is written digit by digit).
    text = re.sub(
        r"([〇零一二三四五六七八九]{4})(?=\s*年)",
        lambda m: "".join(str(_CN_DIGITS[c]) for c in m.group(1)),
        text,
    )
    return re.sub(
        rf"({_CN_NUMBER})(?=\s*(?:月|日|号|季度|个|天|周|工作日|星期))",
        lambda m: str(_cn_to_int(m.group(1))),
        text,
    )


# --- the patterns, most specific first -------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_EN_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
}
_EN_NUMBER_RE = r"\d+|" + "|".join(_EN_NUMBERS)
_ORDINAL_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}

_CADENCES: tuple[tuple[str, str], ...] = (
    (r"每两周|每半月|每半个月|双周|半月报|every (?:two|2) weeks|bi-?weekly|fortnightly", BIWEEKLY),
    (r"每周|按周|每星期|周报|weekly|every week|each week", WEEKLY),
    (r"每个?月|按月|月报|monthly|every month|each month", MONTHLY),
    (r"每个?季度?|按季度?|季报|quarterly|every quarter|each quarter", QUARTERLY),
)
_ONGOING = re.compile(
    r"长期坚持|长期|持续推进|持续开展|持续|常态化|常抓不懈|久久为功|每年|每半年|逐年|"
    r"ongoing|long[- ]term|continuous(?:ly)?|on a regular basis|regularly|every year|annually|each year"
)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Reader:
    """Finds every date in a normalised text; each match is blanked out so less specific patterns do not
    read the same words again (2022年12月31日 is one date, not also "2022年" and "12月")."""

    def __init__(self, text: str, reference: date) -> None:
        self.text = text
        self.reference = reference
        self.dates: list[date] = []

    def _take(self, pattern: str) -> list[re.Match[str]]:
        matches = list(re.finditer(pattern, self.text))
        for match in matches:
            start, end = match.span()
            self.text = self.text[:start] + " " * (end - start) + self.text[end:]
        return matches

    def _year(self, written: str | None, relative: str | None = None) -> tuple[int, bool]:
        if written:
            return int(written), True
        if relative in {"明", "次", "next"}:
            return self.reference.year + 1, True
        if relative:
            return self.reference.year, True
        return self.reference.year, False

    def _add(self, year: int, explicit: bool, month: int, day: int | None = None) -> None:
        """Adds the date (the month's end without ``day``); one without a year that has already passed on
        the reference day is next year's."""
        for candidate in (year, year + 1):
            try:
                found = date(candidate, month, day) if day else _month_end(candidate, month)
            except ValueError:
                return  # 2月30日: not a date; reported as unreadable if nothing else is found
            if explicit or found >= self.reference:
                break
        self.dates.append(found)

    def read(self) -> None:
        ref = self.reference
        # 2022-09-30, 2022/9/30, 2022.9.30
        for m in self._take(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"):
            self._add(int(m[1]), True, int(m[2]), int(m[3]))
        # 2022年9月30日, 9月30日前, 9月30号
        for m in self._take(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"):
            year, explicit = self._year(m[1])
            self._add(year, explicit, int(m[2]), int(m[3]))
        # 30日内, 30个工作日内, 3个月内, 2周内, within 30 days
        for m in self._take(r"(\d+)\s*(个工作日|工作日|个月|日|天|周|星期)\s*内"):
            self.dates.append(_relative(ref, int(m[1]), m[2]))
        for m in self._take(rf"within (?:the next )?({_EN_NUMBER_RE}) (working days?|days?|weeks?|months?)"):
            count = int(m[1]) if m[1].isdigit() else _EN_NUMBERS[m[1]]
            self.dates.append(_relative(ref, count, m[2]))
        # 2022年6月底前, 9月份, 10月中旬, 十二月
        for m in self._take(r"(?:(\d{4})\s*年\s*)?(?<!\d个)(\d{1,2})\s*月\s*(底|末|份|上旬|中旬|下旬)?"):
            year, explicit = self._year(m[1])
            month, part = int(m[2]), m[3] or ""
            if not 1 <= month <= 12:
                continue
            if part == "上旬":
                self._add(year, explicit, month, 10)
            elif part == "中旬":
                self._add(year, explicit, month, 20)
            else:
                self._add(year, explicit, month)
        # 2022年第三季度, 三季度末, 一季度
        for m in self._take(r"(?:(\d{4})\s*年\s*|(今|本|当|明|次)年\s*)?第?\s*([1-4])\s*季度\s*(?:末|底)?"):
            year, explicit = self._year(m[1], m[2])
            quarter = int(m[3])
            self._add(year, explicit, quarter * 3)
        # 上半年, 2023年下半年, 年中
        for m in self._take(r"(?:(\d{4})\s*年\s*|(今|本|当|明|次)年\s*)?(上半年|下半年|年中)\s*(?:末|底)?"):
            year, explicit = self._year(m[1], m[2])
            month = 12 if m[3] == "下半年" else 6
            self._add(year, explicit, month)
        # 年底前, 今年年底, 明年底, 年内
        for m in self._take(r"(?:(\d{4})\s*)?(今|本|当|明|次)?年\s*(?:年底|年末|底|末|内|度内)"):
            year, _explicit = self._year(m[1], m[2] or "this")
            self.dates.append(date(year, 12, 31))
        # 十四五 (the current five-year plan) ends in 2025.
        for _m in self._take(r"十四五"):
            self.dates.append(date(2025, 12, 31))
        # 2023年, 2025年前: a year alone means its end.
        for m in self._take(r"(?<!\d)(\d{4})\s*年"):
            self.dates.append(date(int(m[1]), 12, 31))
        self._read_english()

    def _read_english(self) -> None:
        ref = self.reference
        year_tail = r"(?:,?\s*(?:of\s+)?(\d{4}))?"
        # September 30, 2022; 30 September 2022; sept. 30th
        for m in self._take(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b{year_tail}"):
            year, explicit = self._year(m[3])
            self._add(year, explicit, _MONTHS[m[1]], int(m[2]))
        for m in self._take(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?{year_tail}"):
            year, explicit = self._year(m[3])
            self._add(year, explicit, _MONTHS[m[2]], int(m[1]))
        # the end of the third quarter (of 2022), q3 2022
        for m in self._take(
            r"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b"
            rf"(?:\s+of\s+(?:(this|next) year|the year))?{year_tail}"
        ):
            year, explicit = self._year(m[3], m[2])
            quarter = _ORDINAL_QUARTERS[m[1]]
            self._add(year, explicit, quarter * 3)
        for m in self._take(r"\bq([1-4])\b(?:\s*(\d{4}))?"):
            year, explicit = self._year(m[2])
            self._add(year, explicit, int(m[1]) * 3)
        # the first half of the year
        for m in self._take(rf"\b(first|second) half\b(?:\s+of\s+(?:(this|next) year|the year))?{year_tail}"):
            year, explicit = self._year(m[3], m[2])
            month = 6 if m[1] == "first" else 12
            self._add(year, explicit, month)
        # (the end of / mid-) June (2022)
        # "may" alone is the verb: the month only after a word that introduces a time.
        bare = "|".join(name for name in sorted(_MONTHS, key=len, reverse=True) if name != "may")
        months = [
            *self._take(rf"\b(mid-?\s*|middle of\s+)?({bare})\b\.?{year_tail}"),
            *self._take(rf"\b(?:by|before|until|in|end of|mid-?)\s*(?:the end of\s+)?()(may)\b{year_tail}"),
        ]
        for m in months:
            year, explicit = self._year(m[3])
            month = _MONTHS[m[2]]
            if m[1]:
                self._add(year, explicit, month, 15)
            else:
                self._add(year, explicit, month)
        # by the end of the year, this year, next year, by end of 2023, year-end
        for _match in self._take(r"\b(?:end of|by) (?:the|this) year\b|\byear[- ]end\b|\bwithin the year\b"):
            self.dates.append(date(ref.year, 12, 31))
        for _match in self._take(r"\b(?:by|end of|before) next year\b|\bnext year\b"):
            self.dates.append(date(ref.year + 1, 12, 31))
        for m in self._take(r"\b(?:by|before|in|until|end of)\s+(\d{4})\b"):
            if 2000 <= int(m[1]) <= 2100:
                self.dates.append(date(int(m[1]), 12, 31))


def _relative(reference: date, count: int, unit: str) -> date:
    if "工作日" in unit or "working" in unit:
        # Imported lazily: the calendar of working days is configured in the settings.
        from luoshi.core.workdays import add_working_days

        return add_working_days(reference, count)
    if "月" in unit or "month" in unit:
        return _add_months(reference, count)
    if unit in {"周", "星期"} or "week" in unit:
        return reference + timedelta(weeks=count)
    return reference + timedelta(days=count)


@functools.lru_cache(maxsize=4096)
def _read(text: str, reference: date) -> Deadline | None:
    """Cached: a list repeats the same few deadline texts on thousands of rows."""
    normalised = _normalise(text)
    cadence = None
    for pattern, value in _CADENCES:
        if re.search(pattern, normalised):
            cadence = value
            normalised = re.sub(pattern, " ", normalised)
            break
    ongoing = bool(_ONGOING.search(normalised))
    reader = _Reader(_ONGOING.sub(" ", normalised), reference)
    reader.read()
    due_on = max(reader.dates) if reader.dates else None
    if due_on is None and cadence is None and not ongoing:
        return None
    return Deadline(due_on=due_on, cadence=cadence, ongoing=ongoing)


def parse_deadline(value: object, *, reference: date) -> Deadline:
    """Read a deadline cell: a date or datetime (an Excel date cell), or text in Chinese or English.

    When the text names several dates ("6月底前完成方案，年底前全面完成") the last one is the deadline.
    Raises :class:`UnreadableDeadline` when nothing in it can be read.
    """
    if isinstance(value, datetime):
        return Deadline(due_on=value.date())
    if isinstance(value, date):
        return Deadline(due_on=value)
    text = "" if value is None else str(value).strip()
    if not text:
        raise UnreadableDeadline("empty")
    found = _read(text, reference)
    if found is None:
        raise UnreadableDeadline(text)
    return found


def find_deadline(text: str, *, reference: date) -> Deadline | None:
    """The deadline a sentence states, if any (the drafting help reads clauses with it)."""
    return _read(text, reference) if text.strip() else None


def describe(deadline: Deadline) -> str:
    """A short neutral rendering for previews and logs: ``2022-12-31``, ``quarterly``, ``ongoing``."""
    parts = []
    if deadline.due_on:
        parts.append(deadline.due_on.isoformat())
    if deadline.cadence:
        parts.append(deadline.cadence)
    if deadline.ongoing:
        parts.append("ongoing")
    return " · ".join(parts)
