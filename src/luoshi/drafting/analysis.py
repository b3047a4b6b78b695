"""Proposing the structure of a directive's text: headings, clauses with their exact spans, and for each
clause a focus area, lead units and a deadline (DESIGN §3, the drafting help).

Pure: the caller passes the text and what the deployment knows (focus areas with keywords, units with
names and duties, clauses that units took before); nothing here reads the database, so the labelled set
of ``luoshi.drafting.quality`` measures exactly what the page and the API do.

The reading is rule-based, as government texts are regular: numbered headings (一、 （一） 1. （1） 第一，
I. First,), report-style lead-ins (会议要求… / The meeting emphasized that …), modal and action words that
mark a demand, and words of attendance, praise and background that mark context. A run-on sentence is
split where a new action verb starts a new phrase ("要加快…，完善…，推进…" / "We must …, improve …, and …").
Chinese words come from jieba with the government user dictionary (``luoshi.search.segment``).
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from luoshi.tasks.deadlines import Deadline, find_deadline

DEMAND, PROBLEM = "demand", "problem"
ZH, EN = "zh", "en"


class AnalysisError(ValueError):
    """The text cannot be analysed; ``code`` says why (empty, too_long, binary, language, timeout)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- what the deployment knows -----------------------------------------------------------------------


@dataclass(frozen=True)
class AreaTerms:
    """A focus area and the keywords that suggest it."""

    id: int | None
    code: str
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class UnitTerms:
    """A unit, the names the text may call it by, and the words of its stated duties."""

    id: int
    name: str
    names: tuple[str, ...]
    duty_words: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PastClause:
    """A clause registered before and the unit that led its task."""

    words: frozenset[str]
    unit_id: int


# --- what comes out ------------------------------------------------------------------------------------


@dataclass
class Heading:
    level: int
    text: str
    start: int
    end: int


@dataclass
class ClauseProposal:
    text: str
    start: int
    end: int
    kind: str
    heading: str
    heading_index: int | None
    focus_code: str = ""
    focus_id: int | None = None
    unit_ids: list[int] = field(default_factory=list)
    unit_reasons: list[str] = field(default_factory=list)
    due_on: date | None = None
    cadence: str = ""
    ongoing: bool = False


@dataclass
class ContextSentence:
    """A sentence kept visible but not proposed as a clause: background, praise, attendance."""

    text: str
    start: int
    end: int
    reason: str


@dataclass
class Analysis:
    language: str
    headings: list[Heading] = field(default_factory=list)
    clauses: list[ClauseProposal] = field(default_factory=list)
    context: list[ContextSentence] = field(default_factory=list)


# --- language ------------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")


def detect_language(text: str) -> str:
    """``zh``, ``en``, or raises ``AnalysisError("language")`` for text in another language."""
    cjk = len(_CJK.findall(text))
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    letters = sum(1 for c in text if c.isalpha())
    other = letters - cjk - latin
    if letters == 0:
        raise AnalysisError("empty")
    if len(_KANA_HANGUL.findall(text)) > 0.05 * letters or other > 0.3 * letters:
        raise AnalysisError("language")
    return ZH if cjk >= 0.2 * letters else EN


def check_text(text: str, *, max_chars: int) -> str:
    """The text to analyse, or an ``AnalysisError`` for empty, over-long or binary input."""
    if len(text) > max_chars:
        raise AnalysisError("too_long")
    if "\x00" in text:
        raise AnalysisError("binary")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t")
    if controls > max(3, len(text) // 100):
        raise AnalysisError("binary")
    if not text.strip():
        raise AnalysisError("empty")
    return text


# --- headings ------------------------------------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十"
_HEADING_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^[{_CN_NUM}]+、")),
    (2, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (2, re.compile(rf"^第[{_CN_NUM}]+[，,、]")),
    (3, re.compile(r"^\d{1,2}[.．、](?!\d)\s*")),
    (4, re.compile(r"^[（(]\d{1,2}[）)]")),
    (1, re.compile(r"^(?:[IVX]+)\.\s+")),
    (3, re.compile(r"^\(?[a-z]\)\s+")),
    (2, re.compile(r"^(?:First|Second|Third|Fourth|Fifth|Sixth|Finally|Lastly),\s+")),
)
_SENTENCE_END = re.compile(r"[。！？!?；;]|\.(?=\s|$)")
_PRIORITY = re.compile(
    r"^(?:[要须]?(?:牢牢把握|紧紧抓住|紧紧围绕|突出抓好|着力抓好|重点抓好|牢牢抓住))"
    r"|^(?:firmly grasp|focus on)\b",
    re.IGNORECASE,
)


def _marker(line: str) -> tuple[int, int] | None:
    """(level, length of the numbering) when ``line`` starts with a heading number."""
    for level, pattern in _HEADING_MARKERS:
        found = pattern.match(line)
        if found:
            return level, found.end()
    return None


# --- sentence classes ----------------------------------------------------------------------------------

_ZH_LEAD_IN = re.compile(
    r"^(?:同时|此外|另外)?[，,]?(?:会议|会上|大会|文件|通知|意见|讲话|市委|市政府|省委|省政府|督查组|检查组|督察组)?"
    r"(?P<verb>要求|强调|提出|指出|明确|决定|认为|部署|号召|希望)[，,：:]?"
)
_EN_LEAD_IN = re.compile(
    r"^(?:the (?:meeting|conference|session|document|notice|inspection team|team)|it was|participants|"
    r"the city government|the mayor|leaders)\s+(?P<verb>emphasi[sz]ed|stressed|required|called for|demanded|"
    r"decided|pointed out|noted|agreed|urged|asked|requested|found)(?: that)?[,:]?\s*",
    re.IGNORECASE,
)
_EN_NECESSARY = re.compile(
    r"^it is (?:necessary|essential|imperative|important|required) (?:to|that)\s+", re.I
)
_CONTEXT_VERBS = {"指出", "认为", "pointed out", "noted", "found", "希望"}

_ZH_MODAL = re.compile(
    r"(?<![主重纲摘概只])要|必须|务必|应当|需要|(?<![必无])须|确保|力争|坚决|切实|严格|严禁|不得|抓紧|尽快|一是|二是|三是|四是|五是"
)
_ZH_VERBS = (
    "加快|推进|推动|落实|完成|加强|强化|健全|完善|建立|建设|开展|实施|提升|提高|深化|狠抓|抓好|做好|"
    "推行|整改|督促|杜绝|禁止|实现|打好|压实|制定|出台|研究|部署|启动|降低|减少|控制|保障|优化|扩大|培育|"
    "改造|淘汰|治理|整治|排查|清理|规范|巩固|组织|引导|支持|鼓励|建成|新建|改建|增加|确保|落细|压减|"
    "补齐|筑牢|守住|防范|化解|办好|解决|攻坚|聚焦|围绕|坚持|统筹|谋划|发挥|用好|盯紧|对标|梳理|核查|"
    "整合|拓展|打造|创建|推广|兑现|发放|编制|修订|印发|报送|上报|召开|举办|配齐|配备|消除|关停|搬迁|"
    "清运|复查|回头看|验收|销号|聚力|着力"
)
_ZH_SPLIT_VERBS = re.compile(
    rf"^(?:要|并|同时|同步|还要|进一步|全面|大力|持续|积极|切实|着力|加快)?(?:{_ZH_VERBS})"
)
# Words that qualify the phrase before rather than start a new demand ("…，确保年底前完成").
_ZH_NO_SPLIT = re.compile(r"^(?:确保|力争|实现|做到|达到|争取|使|让|以|为|从而|进而|切实|全面完成)")
_ZH_PROBLEM = re.compile(
    r"存在|不到位|不力|滞后|不足|薄弱|差距|未完成|未按|未能|没有|缺乏|不够|突出问题|屡禁不止|反弹|不规范|"
    r"不严|不实|流于形式|走过场|欠账"
)
_ZH_ATTENDANCE = re.compile(r"出席|参加会议|参加了|主持|列席|参会|与会|到会")
_ZH_PRAISE = re.compile(
    r"取得了?(?:明显|显著|积极|良好|重要|阶段性)?(?:成效|成绩|进展|成果)|成效(?:明显|显著)|充分肯定|给予肯定|"
    r"来之不易|表示感谢|予以表扬|总体平稳|稳中向好|好于预期"
)
_ZH_CONTEXT = re.compile(
    r"^(?:当前|目前|近年来|今年以来|过去一年|一年来|上半年|会议听取|会议审议|会议学习|会议传达|会议通报|"
    r"会议原则|现将|现就|为深入|为贯彻|为进一步|根据|按照|经研究|特此)"
)

_EN_MODAL = re.compile(
    r"\b(?:must|should|shall|need to|needs to|are required to|is required to|are to|is to|will|ensure|"
    r"make sure|required)\b",
    re.IGNORECASE,
)
_EN_VERBS = (
    "accelerate|advance|attract|build|carry out|clean up|close|complete|conduct|consolidate|control|"
    "crack down|"
    "cut|deepen|develop|eliminate|enforce|enhance|ensure|establish|expand|finish|fix|implement|improve|"
    "increase|inspect|introduce|launch|lower|make|modernise|modernize|optimise|optimize|phase out|"
    "prevent|promote|protect|provide|publish|raise|rectify|reduce|refine|reform|remove|renovate|repair|"
    "replace|report|resolve|restore|retire|retrofit|review|set up|speed up|step up|strengthen|submit|"
    "support|tighten|train|upgrade|tackle|put|hold|draw up|formulate|monitor|cap|add|open|create|"
    "recruit|extend|clear|guarantee|secure|safeguard|adopt|apply|roll out"
)
_EN_VERB_START = re.compile(rf"^(?:and\s+|also\s+|then\s+)?(?:{_EN_VERBS})\b", re.IGNORECASE)
_EN_PROBLEM = re.compile(
    r"\b(?:lag(?:s|ged|ging)?|behind schedule|not (?:been )?(?:completed|implemented|done|met)|"
    r"insufficient|inadequate|weak|failed to|has not|have not|problems?|shortcomings?|lack(?:s|ed)?|"
    r"overdue|slow|poor|incomplete|missing|fell short)\b",
    re.IGNORECASE,
)
_EN_ATTENDANCE = re.compile(r"\b(?:attended|chaired|presided|were present|was present|took part)\b", re.I)
_EN_PRAISE = re.compile(
    r"\b(?:achieved|made (?:good|great|significant|notable|steady) progress|commended|praised|"
    r"good results|remarkable|encouraging|thanked|performed well|went well)\b",
    re.IGNORECASE,
)
_EN_CONTEXT = re.compile(
    r"^(?:in recent years|since the beginning|over the past|currently|at present|this year|last year|"
    r"the meeting (?:heard|reviewed|listened|studied|discussed|was held|opened)|in order to|according to|"
    r"to implement|as (?:decided|required))",
    re.IGNORECASE,
)
# "存在以下问题：" / "found the following problems:" introduces a list; it is not itself a clause.
_INTRO = re.compile(r"以下|如下|下列|the following", re.IGNORECASE)
_INSPECTION = re.compile(
    r"反馈|督察|巡视|巡察|检查发现|督查发现|问题清单|inspection|feedback|audit found", re.I
)


@dataclass
class _Sentence:
    start: int
    end: int
    numbered: bool


def _trim(text: str, start: int, end: int, chars: str) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in chars):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in chars):
        end -= 1
    return start, end


_EDGE = "，,；;。.：:、！!？?“”\"'‘’ "


def _sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentences of text[start:end] (ended by 。！？!? or ". ")."""
    cursor = start
    for found in re.finditer(r"[。！？!?]|\.(?=\s|$)(?<!\b[A-Z]\.)(?<!\bNo\.)", text[start:end]):
        stop = start + found.end()
        yield cursor, stop
        cursor = stop
    if cursor < end:
        yield cursor, end


class _Reader:
    def __init__(
        self,
        text: str,
        *,
        reference: date,
        areas: Sequence[AreaTerms],
        units: Sequence[UnitTerms],
        history: Sequence[PastClause],
        time_limit: float,
        words: Callable[[str], list[str]],
    ) -> None:
        self.text = text
        self.reference = reference
        self.areas = areas
        self.units = units
        self.history = history
        self.stop_at = time.monotonic() + time_limit
        self.words = words
        self.language = detect_language(text)
        self.inspection = bool(_INSPECTION.search(text[:2000]))
        self.result = Analysis(language=self.language)
        self.stack: list[Heading] = []
        first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
        self.title = first_line if self._looks_like_title(first_line) else ""

    def _tick(self) -> None:
        if time.monotonic() > self.stop_at:
            raise AnalysisError("timeout")

    # --- structure ---

    def run(self) -> Analysis:
        offset = 0
        for raw in self.text.splitlines(keepends=True):
            self._tick()
            line_start, line_end = _trim(self.text, offset, offset + len(raw), "")
            offset += len(raw)
            if line_start < line_end:
                self._line(line_start, line_end)
        for clause in self.result.clauses:
            self._tick()
            self._suggest(clause)
        return self.result

    def _line(self, start: int, end: int) -> None:
        line = self.text[start:end]
        marker = _marker(line)
        body_start = start
        numbered = False
        if marker is not None:
            level, length = marker
            numbered = True
            first = _SENTENCE_END.search(line, length)
            colon = re.search(r"[：:]", line[length:])
            title_end = end
            if first is not None:
                title_end = start + first.start()
            if colon is not None and (first is None or start + length + colon.start() < title_end):
                title_end = start + length + colon.start()
            title = self.text[start:title_end].strip()
            rest_start = min(end, title_end + 1)
            limit = 40 if self.language == ZH else 90
            rest = self.text[rest_start:end].strip()
            title_only = first is None and colon is None
            short = len(title) - length <= 10 if self.language == ZH else len(title[length:].split()) <= 4
            if (
                (title_only and len(title) <= limit * 2 and not line.rstrip().endswith((".", "。")))
                or (not rest and short and not self._has_demand_or_problem(title[length:]))
                or (
                    rest
                    and len(title) - length <= limit
                    and not self._is_demand_phrase(title[length:], title)
                )
            ):
                self._heading(level, start, title_end)
                body_start = rest_start
                numbered = False
            else:
                # A numbered demand ("1. 完成…", "第一，要…", "First, upgrade…"): the clause starts after
                # its number.
                body_start = start + length
        elif _PRIORITY.match(line) and len(line) <= (60 if self.language == ZH else 140):
            stop = re.search(r"[：:。.]", line)
            title_end = start + stop.start() if stop else end
            self._heading(1 if not self.stack else self.stack[-1].level + 1, start, title_end)
            body_start = title_end + 1
        elif self._looks_like_title(line):
            self._heading(1, start, end)
            return
        if body_start >= end:
            return
        for s_start, s_end in _sentences(self.text, body_start, end):
            self._sentence(s_start, s_end, numbered)

    def _looks_like_title(self, line: str) -> bool:
        """A short line without sentence punctuation, e.g. the document's title or an unnumbered heading."""
        if self.language == ZH:
            return len(line) <= 30 and not re.search(r"[。；;，,：:！？]", line)
        return len(line) <= 80 and not re.search(r"[.;,:!?]$", line) and len(line.split()) <= 10

    def _heading(self, level: int, start: int, end: int) -> None:
        start, end = _trim(self.text, start, end, "：:")
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        heading = Heading(level=level, text=self.text[start:end], start=start, end=end)
        self.result.headings.append(heading)
        self.stack.append(heading)

    # --- sentences ---

    def _has_demand_or_problem(self, phrase: str) -> bool:
        """Whether a short numbered line says what must be done or what is wrong (not a topic)."""
        if self.language == ZH:
            return bool(_ZH_MODAL.search(phrase) or _ZH_PROBLEM.search(phrase))
        return bool(_EN_MODAL.search(phrase) or _EN_PROBLEM.search(phrase) or _EN_VERB_START.match(phrase))

    def _is_demand_phrase(self, phrase: str, title: str) -> bool:
        """Whether a numbered line's first phrase is itself a demand with content after it (not a heading)."""
        if self.language == ZH:
            return bool(re.search(r"[，,]", phrase)) and len(phrase) > 25
        return len(phrase.split()) > 12

    def _sentence(self, start: int, end: int, numbered: bool) -> None:
        start, end = _trim(self.text, start, end, _EDGE)
        if start >= end:
            return
        sentence = self.text[start:end]
        lead_in = (_ZH_LEAD_IN if self.language == ZH else _EN_LEAD_IN).match(sentence)
        necessary = _EN_NECESSARY.match(sentence) if self.language == EN else None
        body_start = start
        if lead_in is not None:
            body_start = start + lead_in.end()
        elif necessary is not None:
            body_start = start + necessary.end()
        body = self.text[body_start:end]
        reason = self._context_reason(sentence, body, lead_in)
        if reason:
            self.result.context.append(ContextSentence(text=sentence, start=start, end=end, reason=reason))
            return
        kind = self._kind(body, numbered or lead_in is not None or necessary is not None)
        if kind is None:
            self.result.context.append(ContextSentence(text=sentence, start=start, end=end, reason="other"))
            return
        pieces = list(self._split(body_start, end)) if kind == DEMAND else [(body_start, end)]
        for p_start, p_end in pieces:
            p_start, p_end = _trim(self.text, p_start, p_end, _EDGE)
            if p_end - p_start < (4 if self.language == ZH else 12):
                continue
            heading = self.stack[-1] if self.stack else None
            self.result.clauses.append(
                ClauseProposal(
                    text=self.text[p_start:p_end],
                    start=p_start,
                    end=p_end,
                    kind=kind,
                    heading=heading.text if heading else "",
                    heading_index=self.result.headings.index(heading) if heading else None,
                )
            )

    def _context_reason(self, sentence: str, body: str, lead_in: re.Match[str] | None) -> str:
        if _INTRO.search(sentence):
            return "context"
        if self.language == ZH:
            modal = bool(_ZH_MODAL.search(body))
            if _ZH_ATTENDANCE.search(sentence) and not modal:
                return "attendance"
            if _ZH_PRAISE.search(sentence) and not modal:
                return "praise"
            if lead_in is not None and lead_in["verb"] in _CONTEXT_VERBS and not modal:
                return "context"
            if _ZH_CONTEXT.match(sentence) and not (lead_in is not None and modal):
                return "context"
            return ""
        modal = bool(_EN_MODAL.search(body)) or bool(_EN_VERB_START.match(body))
        if _EN_ATTENDANCE.search(sentence) and not modal:
            return "attendance"
        if _EN_PRAISE.search(sentence) and not _EN_MODAL.search(body):
            return "praise"
        if lead_in is not None and lead_in["verb"].lower() in _CONTEXT_VERBS and not _EN_MODAL.search(body):
            return "context"
        if _EN_CONTEXT.match(sentence) and lead_in is None and not modal:
            return "context"
        return ""

    def _kind(self, body: str, marked: bool) -> str | None:
        if self.language == ZH:
            problem = bool(_ZH_PROBLEM.search(body))
            demand = (
                bool(_ZH_MODAL.search(body))
                or bool(_ZH_SPLIT_VERBS.match(body))
                or bool(re.search(rf"^[^，,]{{0,12}}?(?:{_ZH_VERBS})", body))
            )
        else:
            problem = bool(_EN_PROBLEM.search(body))
            demand = bool(_EN_MODAL.search(body)) or bool(_EN_VERB_START.match(body))
        if problem and (self.inspection or marked) and not (demand and not self.inspection):
            return PROBLEM
        if demand:
            return DEMAND
        if marked and self.inspection:
            return PROBLEM
        return None

    def _split(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Pieces of a demand sentence that each carry one demand."""
        text = self.text
        if self.language == ZH:
            separators = re.compile(r"[；;]|[，,](?=\s*[一二三四五六七八九十]是)|[，,]")
        else:
            separators = re.compile(r";|,\s*(?:and\s+)?(?=\S)|\s+and\s+")
        cursor = start
        piece_start = start
        for found in separators.finditer(text, start, end):
            following = text[found.end() : end].lstrip()
            hard = found.group(0) in "；;" or bool(re.match(r"[一二三四五六七八九十]是", following))
            if not hard:
                if self.language == ZH:
                    starts = bool(_ZH_SPLIT_VERBS.match(following)) and not _ZH_NO_SPLIT.match(following)
                    long_enough = found.start() - piece_start >= 6
                else:
                    starts = bool(_EN_VERB_START.match(following)) and not following.lower().startswith(
                        ("ensure", "make sure", "report")
                    )
                    long_enough = len(text[piece_start : found.start()].split()) >= 2
                if not (starts and long_enough):
                    continue
            yield piece_start, found.start()
            piece_start = found.end()
            cursor = found.end()
        yield max(piece_start, cursor), end

    # --- suggestions ---

    def _suggest(self, clause: ClauseProposal) -> None:
        # A keyword in the clause counts most, in its heading less, in the document's title least.
        places = ((clause.text.lower(), 3), (clause.heading.lower(), 2), (self.title.lower(), 1))
        scores: Counter[int] = Counter()
        for index, area in enumerate(self.areas):
            for keyword in area.keywords:
                word = keyword.lower()
                for place, weight in places:
                    if word and word in place:
                        scores[index] += weight
        if scores:
            best, _score = max(scores.items(), key=lambda item: (item[1], -item[0]))
            clause.focus_code = self.areas[best].code
            clause.focus_id = self.areas[best].id
        self._suggest_units(clause)
        deadline: Deadline | None = find_deadline(clause.text, reference=self.reference)
        if deadline is not None:
            clause.due_on = deadline.due_on
            clause.cadence = deadline.cadence or ""
            clause.ongoing = deadline.ongoing

    def _suggest_units(self, clause: ClauseProposal) -> None:
        picked: dict[int, str] = {}
        for unit in self.units:
            if any(name and name in clause.text for name in unit.names):
                picked.setdefault(unit.id, "named")
        words = _content_words(self.words, clause.text)
        if words:
            duty_scores = []
            for unit in self.units:
                # Shared words weigh by length: one specific term says more than two short ones.
                shared = sum(len(word) for word in words & unit.duty_words)
                if shared >= 4:
                    duty_scores.append((shared, unit.id))
            for _shared, unit_id in sorted(duty_scores, reverse=True)[:2]:
                picked.setdefault(unit_id, "duties")
            history: Counter[int] = Counter()
            for past in self.history:
                union = len(words | past.words)
                if union and len(words & past.words) / union >= 0.3:
                    history[past.unit_id] += 1
            for unit_id, _count in history.most_common(2):
                picked.setdefault(unit_id, "history")
        clause.unit_ids = list(picked)[:3]
        clause.unit_reasons = [picked[unit_id] for unit_id in clause.unit_ids]


# Words every demand uses, which make any two clauses look alike.
_STOP_WORDS_TEXT = (
    "要 的 和 与 及 等 在 对 为 把 将 了 是 各 进一步 加快 推进 推动 加强 工作 全面 完成 做好 抓好 确保 "
    "负责 管理 职责 承担 "
    "the a an and of to in on for with by be is are must should will all this that its their our we "
    "responsible responsibility duties"
)
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def _content_words(words: Callable[[str], list[str]], text: str) -> frozenset[str]:
    """Words of two characters or more (Chinese through jieba), without the words every demand uses."""
    cut = words(text.lower())
    return frozenset(w for w in cut if len(w.strip()) >= 2 and w not in _STOP_WORDS and not w.isdigit())


def content_words(text: str) -> frozenset[str]:
    """The words that make two clauses or a clause and a unit's duties alike (jieba for Chinese)."""
    return _content_words(_default_words, text)


def _default_words(text: str) -> list[str]:
    if _CJK.search(text):
        from luoshi.search.segment import words

        return words(text)
    return re.findall(r"[a-z][a-z-]+", text)


def analyze(
    text: str,
    *,
    reference: date,
    areas: Sequence[AreaTerms] = (),
    units: Sequence[UnitTerms] = (),
    history: Sequence[PastClause] = (),
    max_chars: int = 200_000,
    time_limit: float = 10.0,
) -> Analysis:
    """Propose the headings and clauses of ``text`` with their suggestions. Raises ``AnalysisError``."""
    check_text(text, max_chars=max_chars)
    return _Reader(
        text,
        reference=reference,
        areas=areas,
        units=units,
        history=history,
        time_limit=time_limit,
        words=_default_words,
    ).run()
