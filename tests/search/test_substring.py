"""The contract of search (DESIGN §10): its hits are exactly what a brute-force substring search over the
normalized texts finds, for one- to six-character pieces of the texts (Chinese, English, digits,
full-width forms, mixed case) and for strings that occur nowhere. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.core.errors import ValidationFailed
from luoshi.directives import services as directives
from luoshi.directives.models import Clause, DirectiveKind, DirectiveLevel
from luoshi.search import selectors
from luoshi.search import services as search
from luoshi.search.models import EntryKind
from luoshi.tasks import services, workflow
from luoshi.tasks.models import ProgressReport, Task
from tests.search import corpus

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    # The corpus is built once per test; the examples only read it.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LENGTHS = [1, 2, 3, 4, 6]
QUERIES_PER_EXAMPLE = 5


def fullwidth(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms (NFKC turns them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def queries(draw: st.DrawFn, texts: list[str]) -> str:
    """A piece of one of the texts, or a word or piece of a word, or something that occurs nowhere;
    then perhaps in other letter case or in full-width forms."""
    source = draw(st.sampled_from(["piece", "piece", "piece", "english", "absent"]))
    if source == "piece":
        text = draw(st.sampled_from(texts))
        length = draw(st.sampled_from(LENGTHS))
        start = draw(st.integers(0, max(0, len(text) - length)))
        query = text[start : start + length]
    elif source == "english":
        word = draw(st.sampled_from(corpus.ENGLISH))
        start = draw(st.integers(0, len(word) - 1))
        query = word[start : start + draw(st.integers(1, len(word)))]
    else:
        query = draw(
            st.text(alphabet="督查办推进能耗双控回头看xyzqQ9〔〕", min_size=1, max_size=5)
            | st.sampled_from(["zzq", "河长制度", "reportx", "鞍政办发〔2099〕", "Ｚ", "能耗 双控"])
        )
    form = draw(st.sampled_from(["as is", "as is", "upper", "swapcase", "fullwidth"]))
    if form == "upper":
        query = query.upper()
    elif form == "swapcase":
        query = query.swapcase()
    elif form == "fullwidth":
        query = fullwidth(query)
    return query


def check(user, query: str, documents: dict[tuple[str, int], list[str]], kinds=None) -> None:
    """``search`` finds exactly the documents whose fields contain the query, brute force."""
    if not corpus.searchable(query):
        with pytest.raises(ValidationFailed):
            selectors.search(user, query, kinds=kinds)
        return
    expected = sorted(key for key, fields in documents.items() if corpus.contains(fields, query))
    results = selectors.search(user, query, kinds=kinds, limit=selectors.MAX_RESULTS)
    found = sorted((hit.kind, hit.object_id) for hit in results.hits)
    assert found == expected, f"query {query!r}"
    assert results.total == len(expected)
    assert all("<mark>" in hit.snippet for hit in results.hits), f"query {query!r}"


@pytest.fixture
def tasks_corpus(city) -> dict[tuple[str, int], list[str]]:
    """100 tasks with generated titles and descriptions (200 texts), registered through the service."""
    rng = random.Random(20240301)
    units = [city.tiexi, city.tiedong, city.ecology_bureau, city.tiexi_street]
    for _ in range(100):
        services.task_create(
            actor=city.zhao,
            assigning_org=city.government,
            lead_org=rng.choice(units),
            title=corpus.random_text(rng)[:200],
            description=corpus.random_text(rng),
            due_on=date(2024, 6, 28),
        )
    search.index_objects(EntryKind.TASK, Task.objects.values_list("pk", flat=True))
    return {
        (EntryKind.TASK.value, pk): [title, description, outcome]
        for pk, title, description, outcome in Task.objects.values_list(
            "pk", "title", "description", "expected_outcome"
        )
    }


@pytest.mark.django_db
@EXAMPLES
@given(data=st.data())
def test_tasks_are_found_exactly_as_a_substring_search_finds_them(city, tasks_corpus, data):
    texts = [f for fields in tasks_corpus.values() for f in fields if f]
    for _ in range(QUERIES_PER_EXAMPLE):
        # Zhao, a supervisor of the whole city, sees every task: the lookup narrows by his unit too.
        check(city.zhao, data.draw(queries(texts)), tasks_corpus, kinds=[EntryKind.TASK])


@pytest.fixture
def mixed_corpus(city) -> dict[tuple[str, int], list[str]]:
    """Texts as progress reports, clauses and directive titles, written in bulk and indexed by id."""
    texts = corpus.texts(seed=7, count=240)
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="汇总任务",
        due_on=date(2024, 6, 28),
    )
    task = workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    reports = ProgressReport.objects.bulk_create(
        ProgressReport(
            task=task,
            reporter=city.wang,
            reporting_org=city.tiexi,
            reported_on=date(2024, 2, 1),
            narrative=texts[i],
            problems=texts[i + 1] if i % 3 == 0 else "",
        )
        for i in range(0, 160, 2)
    )
    directive = directives.directive_create(
        actor=city.zhao,
        issuing_org=city.government,
        title=texts[160][:200],
        level=DirectiveLevel.MUNICIPAL,
        kind=DirectiveKind.DOCUMENT,
        issued_on=date(2024, 2, 20),
    )
    clauses = Clause.objects.bulk_create(
        Clause(directive=directive, ordinal=n, text=texts[161 + n], heading=texts[200 + n % 40][:200])
        for n in range(79)
    )
    search.index_objects(EntryKind.REPORT, [r.pk for r in reports])
    search.index_objects(EntryKind.CLAUSE, [c.pk for c in clauses])
    search.index_directive(directive)
    search.index_task(task)
    documents: dict[tuple[str, int], list[str]] = {
        (EntryKind.TASK.value, task.pk): [task.title, task.description, task.expected_outcome],
        (EntryKind.DIRECTIVE.value, directive.pk): [
            directive.title,
            directive.doc_number,
            directive.issuing_body,
        ],
    }
    for report in ProgressReport.objects.all():
        documents[(EntryKind.REPORT.value, report.pk)] = [
            report.narrative,
            report.problems,
            report.next_steps,
        ]
    for clause in Clause.objects.all():
        documents[(EntryKind.CLAUSE.value, clause.pk)] = [clause.heading, clause.text]
    return documents


@pytest.fixture
def root(city):
    return type(city.admin).objects.create_superuser("root", password="Luoshi-root-2026")


@pytest.mark.django_db
@EXAMPLES
@given(data=st.data())
def test_reports_clauses_and_directives_are_found_exactly(city, root, mixed_corpus, data):
    texts = [f for fields in mixed_corpus.values() for f in fields if f]
    for _ in range(QUERIES_PER_EXAMPLE):
        query = data.draw(queries(texts))
        check(city.zhao, query, mixed_corpus)
        # A superuser's lookup is not narrowed by units at all.
        check(root, query, mixed_corpus)
